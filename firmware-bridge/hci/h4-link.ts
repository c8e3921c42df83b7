// The controller's end of the UART: H4 packets in, coalesced writes out.
import { EventEmitter } from 'node:events';
import { SerialPort } from 'serialport';
import { H4Parser, type H4Packet } from './h4.ts';

/** noble's UART driver default (spec E.1); a pty ignores it but serialport insists on one. */
export const DEFAULT_BAUD_RATE = 1_000_000;
/** Coalesced writes: bytes queued in one tick go out in one write(2). */
const HIGH_WATER_MARK = 64 * 1024;
/** How long close() waits for queued bytes to reach the OS before it closes anyway. */
const CLOSE_DRAIN_MS = 500;

export interface H4LinkEvents {
  /** all complete packets of one read, in order */
  packets: [packets: H4Packet[]];
  error: [err: Error];
  close: [];
}

export class H4Link extends EventEmitter<H4LinkEvents> {
  private readonly parser = new H4Parser();
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private scheduled = false;
  private waiters: (() => void)[] = [];
  private closed = false;
  private closing = false;
  /** bytes written to the port so far */
  bytesOut = 0;
  bytesIn = 0;

  private readonly port: SerialPort;

  private constructor(port: SerialPort) {
    super();
    this.port = port;
    port.on('data', (chunk: Buffer) => {
      this.bytesIn += chunk.length;
      const packets = this.parser.push(chunk);
      if (packets.length) this.emit('packets', packets);
    });
    // a write still in flight when the port closes fails with EBADF: expected once we are closing, not an error
    port.on('error', (e: Error) => {
      if (!this.closing && !this.closed) this.emit('error', e);
    });
    port.on('close', () => {
      this.closed = true;
      this.releaseWaiters();
      this.emit('close');
    });
    port.on('drain', () => this.releaseWaiters());
  }

  static async open(path: string, baudRate = DEFAULT_BAUD_RATE): Promise<H4Link> {
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    return new H4Link(port);
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Bytes not yet handed to the operating system. */
  get backlog(): number {
    return this.queuedBytes + this.port.writableLength;
  }

  write(packet: Buffer): void {
    if (this.closed || this.closing) return;
    this.queue.push(packet);
    this.queuedBytes += packet.length;
    if (this.queuedBytes >= HIGH_WATER_MARK) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  writeMany(packets: readonly Buffer[]): void {
    for (const p of packets) this.write(p);
  }

  private flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0 || this.closed || this.closing) return;
    const data = this.queue.length === 1 ? this.queue[0] : Buffer.concat(this.queue, this.queuedBytes);
    this.queue = [];
    this.queuedBytes = 0;
    this.bytesOut += data.length;
    this.port.write(data);
  }

  /** Resolves once the backlog is below the high-water mark (back-pressure for bulk notifiers). */
  whenWritable(): Promise<void> {
    if (this.closed || this.backlog < HIGH_WATER_MARK) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.flush();
    });
  }

  private releaseWaiters(): void {
    if (!this.closed && this.backlog >= HIGH_WATER_MARK) return;
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }

  /** Waits until every queued byte reached the OS. */
  async drain(): Promise<void> {
    this.flush();
    if (this.closed) return;
    await new Promise<void>((resolve) => this.port.drain(() => resolve()));
  }

  async close(): Promise<void> {
    if (this.closed || this.closing) return;
    this.flush();
    this.closing = true;
    // serialport closes the fd without waiting for a write in flight; let it finish (bounded: the far end may be
    // gone and never read)
    await Promise.race([
      new Promise<void>((resolve) => this.port.drain(() => resolve())),
      new Promise<void>((resolve) => setTimeout(resolve, CLOSE_DRAIN_MS).unref()),
    ]);
    await new Promise<void>((resolve) => {
      if (this.port.isOpen) this.port.close(() => resolve());
      else resolve();
    });
    this.closed = true;
    this.releaseWaiters();
  }

  /** Garbage bytes skipped while resynchronising on the input. */
  get discarded(): number {
    return this.parser.discarded;
  }
}
