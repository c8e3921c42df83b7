// A GattLink that writes down every exchange over it for `ble capture`: reads (the value), writes (the request, as
// sent), and each notification or indication (told apart by the characteristic's properties), with the time in ms
// since the capture started. Everything else passes through to the link it wraps.
import type { CaptureExchange, ExchangeDir } from './capture-file.ts';
import type { GattLink } from './transport.ts';

export interface DiscoveredCharacteristic {
  service: string;
  characteristic: string;
  properties: string[];
}

export class RecordingLink implements GattLink {
  readonly exchanges: CaptureExchange[] = [];
  private readonly inner: GattLink;
  private readonly inventory: readonly DiscoveredCharacteristic[];
  private readonly elapsed: () => number;

  constructor(inner: GattLink, inventory: readonly DiscoveredCharacteristic[], elapsed: () => number) {
    this.inner = inner;
    this.inventory = inventory;
    this.elapsed = elapsed;
  }

  get address(): string {
    return this.inner.address;
  }

  get connected(): boolean {
    return this.inner.connected;
  }

  has(service: string, characteristic: string): boolean {
    return this.inner.has(service, characteristic);
  }

  private note(dir: ExchangeDir, service: string, characteristic: string, bytes: Uint8Array): void {
    const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
    this.exchanges.push({ t: this.elapsed(), dir, service, characteristic, hex });
  }

  /** A characteristic that can only indicate sends indications; anything else that sends, notifications. */
  private pushKind(service: string, characteristic: string): 'notify' | 'indicate' {
    const c = this.inventory.find((i) => i.service === service && i.characteristic === characteristic);
    return c && c.properties.includes('indicate') && !c.properties.includes('notify') ? 'indicate' : 'notify';
  }

  async read(service: string, characteristic: string): Promise<Buffer> {
    const value = await this.inner.read(service, characteristic);
    this.note('read', service, characteristic, value);
    return value;
  }

  write(service: string, characteristic: string, data: Uint8Array): Promise<void> {
    this.note('write', service, characteristic, data);
    return this.inner.write(service, characteristic, data);
  }

  subscribe(service: string, characteristic: string, onValue: (value: Buffer) => void): Promise<void> {
    const dir = this.pushKind(service, characteristic);
    return this.inner.subscribe(service, characteristic, (value) => {
      this.note(dir, service, characteristic, value);
      onValue(value);
    });
  }

  onDisconnect(listener: (reason: string) => void): void {
    this.inner.onDisconnect(listener);
  }

  disconnect(): Promise<void> {
    return this.inner.disconnect();
  }
}
