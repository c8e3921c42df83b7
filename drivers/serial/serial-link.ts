// A byte pipe over an open `serialport` port: buffered input, frame cutting with timeouts, and the port closing
// under us (cable pulled) turned into a MeterError for whoever is waiting.
import { SerialPort } from 'serialport';
import { MeterError } from './meter-error.ts';

/**
 * Looks at the buffered bytes: > 0 = a frame of that many bytes is complete, 0 = wait for more,
 * < 0 = drop that many leading bytes (noise, a broken frame) and look again.
 */
export type FrameCutter = (buffered: Buffer) => number;

export interface SerialLinkOptions {
  path: string;
  baudRate: number;
}

interface PendingRead {
  cut: FrameCutter;
  resolve: (frame: Buffer) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class SerialLink {
  private buffer: Buffer = Buffer.alloc(0);
  private pending: PendingRead | null = null;
  private closedError: MeterError | null = null;
  /** Bytes dropped by cutters (noise, broken frames), for diagnostics. */
  droppedBytes = 0;

  private readonly port: SerialPort;

  private constructor(port: SerialPort) {
    this.port = port;
    port.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.service();
    });
    port.on('close', (err: (Error & { disconnected?: boolean }) | null) => {
      const why = err?.disconnected ? 'the meter was disconnected' : 'the port closed';
      this.fail(new MeterError('ERR_PORT_CLOSED', `${why} (${port.path})`));
    });
    port.on('error', (err: Error) => {
      this.fail(new MeterError('ERR_PORT_CLOSED', `serial port error on ${port.path}: ${err.message}`));
    });
  }

  static open(opts: SerialLinkOptions): Promise<SerialLink> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort(
        { path: opts.path, baudRate: opts.baudRate, dataBits: 8, parity: 'none', stopBits: 1, rtscts: false },
        (err) => {
          if (err) reject(new MeterError('ERR_PORT_OPEN', `cannot open ${opts.path}: ${err.message}`));
          else resolve(new SerialLink(port));
        },
      );
    });
  }

  get path(): string {
    return this.port.path;
  }

  get isClosed(): boolean {
    return this.closedError !== null;
  }

  private fail(err: MeterError): void {
    if (!this.closedError) this.closedError = err;
    const p = this.pending;
    if (p) {
      this.pending = null;
      clearTimeout(p.timer);
      p.reject(this.closedError);
    }
  }

  private service(): void {
    const p = this.pending;
    if (!p) return;
    for (;;) {
      if (this.buffer.length === 0) return;
      const n = p.cut(this.buffer);
      if (n === 0) return;
      if (n < 0) {
        this.droppedBytes += Math.min(-n, this.buffer.length);
        this.buffer = this.buffer.subarray(Math.min(-n, this.buffer.length));
        continue;
      }
      const frame = Buffer.from(this.buffer.subarray(0, n));
      this.buffer = this.buffer.subarray(n);
      this.pending = null;
      clearTimeout(p.timer);
      p.resolve(frame);
      return;
    }
  }

  /** Resolves once the bytes are handed to the operating system (no tcdrain: replies are what we wait for). */
  async write(bytes: Uint8Array): Promise<void> {
    if (this.closedError) throw this.closedError;
    await new Promise<void>((resolve, reject) => {
      this.port.write(Buffer.from(bytes), (err) => {
        if (err)
          reject(new MeterError('ERR_PORT_CLOSED', `write to ${this.port.path} failed: ${err.message}`));
        else resolve();
      });
    });
  }

  /** Waits for the next frame the cutter accepts; `what` names it in the timeout message. */
  read(cut: FrameCutter, timeoutMs: number, what: string): Promise<Buffer> {
    if (this.closedError) return Promise.reject(this.closedError);
    if (this.pending) return Promise.reject(new Error('SerialLink: one read at a time'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = null;
        reject(new MeterError('ERR_TIMEOUT', `no ${what} from the meter within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending = { cut, resolve, reject, timer };
      this.service();
    });
  }

  /** Drops everything buffered and whatever arrives until the line has been quiet for `quietMs`. */
  async flush(quietMs: number, maxMs = quietMs * 20): Promise<void> {
    const start = Date.now();
    this.buffer = Buffer.alloc(0);
    for (;;) {
      if (this.closedError) throw this.closedError;
      const before = this.droppedBytes;
      try {
        await this.read((b) => -b.length, quietMs, 'quiet line');
      } catch (err) {
        if (err instanceof MeterError && err.code === 'ERR_TIMEOUT' && this.droppedBytes === before) return;
        if (!(err instanceof MeterError) || err.code !== 'ERR_TIMEOUT') throw err;
      }
      if (Date.now() - start > maxMs) return;
    }
  }

  /** Closes the port if it is still open. */
  close(): Promise<void> {
    this.fail(new MeterError('ERR_PORT_CLOSED', 'the session closed the port'));
    if (!this.port.isOpen) return Promise.resolve();
    return new Promise((resolve) => this.port.close(() => resolve()));
  }
}
