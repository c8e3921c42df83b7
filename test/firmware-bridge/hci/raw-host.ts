// A raw HCI host for controller tests: a serialport on the host end of the pty, H4 packets in, bytes out.
import assert from 'node:assert/strict';
import { SerialPort } from 'serialport';
import { H4Parser, encodeCommand, type H4Packet } from '../../../firmware-bridge/hci/h4.ts';

export class RawHost {
  private readonly parser = new H4Parser();
  private readonly inbox: H4Packet[] = [];
  private readonly raw: Buffer[] = [];
  private wake: (() => void) | null = null;
  private readonly port: SerialPort;

  constructor(port: SerialPort) {
    this.port = port;
    port.on('data', (chunk: Buffer) => {
      this.raw.push(chunk);
      this.inbox.push(...this.parser.push(chunk));
      this.wake?.();
    });
  }
  static async open(path: string): Promise<RawHost> {
    const port = new SerialPort({ path, baudRate: 1_000_000, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    return new RawHost(port);
  }
  send(bytes: Buffer): void {
    this.port.write(bytes);
  }
  command(opcode: number, params: Buffer = Buffer.alloc(0)): void {
    this.send(encodeCommand(opcode, params));
  }
  /** next packet, as hex of its full H4 encoding */
  async next(ms = 2000): Promise<H4Packet> {
    const deadline = Date.now() + ms;
    while (this.inbox.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no packet from the controller');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = null;
    }
    return this.inbox.shift() as H4Packet;
  }
  async nextEvent(ms?: number): Promise<string> {
    const p = await this.next(ms);
    assert.equal(p.type, 'event');
    return p.type === 'event'
      ? Buffer.concat([Buffer.from([4, p.code, p.params.length]), p.params]).toString('hex')
      : '';
  }
  async nextAcl(ms?: number): Promise<{ handle: number; pb: number; data: string }> {
    const p = await this.next(ms);
    assert.equal(p.type, 'acl');
    return p.type === 'acl'
      ? { handle: p.handle, pb: p.pb, data: p.data.toString('hex') }
      : { handle: 0, pb: 0, data: '' };
  }
  async quiet(ms = 150): Promise<H4Packet[]> {
    await new Promise((r) => setTimeout(r, ms));
    return this.inbox.splice(0);
  }
  firstRawChunk(): Buffer {
    return this.raw[0];
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.port.close(() => resolve()));
  }
}
