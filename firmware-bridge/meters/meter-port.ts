// The meter's end of the line: a real `serialport` port on the meter side of the pty, with the helpers every
// simulated meter needs (write and wait, delayed writes, line faults, pulling the cable).
import { SerialPort } from 'serialport';

export interface MeterPortOptions {
  path: string;
  /** Ptys ignore the rate; kept for symmetry with a real line. */
  baudRate?: number;
  /** Pulls the cable (the harness kills socat). Without it, an `unplug` fault just closes this port. */
  onUnplug?: () => Promise<void> | void;
}

export class MeterPort {
  private closed = false;
  private dataHandler: (chunk: Buffer) => void = () => {};
  /** Every byte the gateway sent, for tests that check the wire. */
  readonly received: Buffer[] = [];

  private readonly port: SerialPort;
  private readonly opts: MeterPortOptions;

  private constructor(port: SerialPort, opts: MeterPortOptions) {
    this.port = port;
    this.opts = opts;
    port.on('data', (chunk: Buffer) => {
      this.received.push(chunk);
      if (!this.closed) this.dataHandler(chunk);
    });
    port.on('error', () => {
      // after unplug the pty is gone; nothing left to do
    });
  }

  static open(opts: MeterPortOptions): Promise<MeterPort> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path: opts.path, baudRate: opts.baudRate ?? 9600 }, (err) => {
        if (err) reject(err);
        else resolve(new MeterPort(port, opts));
      });
    });
  }

  onData(handler: (chunk: Buffer) => void): void {
    this.dataHandler = handler;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Writes and waits until the bytes are handed to the pty (writes keep their order; unplug waits for them). */
  async write(bytes: Uint8Array | string): Promise<void> {
    if (this.closed) return;
    const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes);
    if (buf.length === 0) return;
    await new Promise<void>((resolve) => {
      this.port.write(buf, () => resolve());
    });
  }

  async unplug(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Let socat pass on what already left the meter: a cable pulled after the bytes were on the wire.
    await new Promise<void>((resolve) => this.port.drain(() => resolve()));
    await sleep(150);
    if (this.opts.onUnplug) await this.opts.onUnplug();
    await this.close();
  }

  close(): Promise<void> {
    this.closed = true;
    if (!this.port.isOpen) return Promise.resolve();
    return new Promise((resolve) => this.port.close(() => resolve()));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** First half of a frame/line: what the gateway sees when the meter stops mid-frame. */
export function firstHalf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes).subarray(0, Math.max(1, Math.floor(bytes.length / 2)));
}

/** The same frame/line with one byte of its checksum changed. */
export function corruptChecksum(bytes: Uint8Array, checksumOffsetFromEnd: number): Buffer {
  const b = Buffer.from(bytes);
  const i = b.length - checksumOffsetFromEnd;
  // Keep it a hex digit for text checksums so only the value is wrong, not the framing.
  b[i] = b[i] === 0x30 ? 0x31 : b[i] >= 0x30 && b[i] <= 0x46 ? 0x30 : b[i] ^ 0x01;
  return b;
}
