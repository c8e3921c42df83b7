// One simulated BLE peripheral as seen by a simulator: advertising content, a GATT database, and the
// handle to notify, indicate and misbehave (drop the link, stop answering).
import { EventEmitter } from 'node:events';
import { buildAdvertisingPayloads, type AdvertisingContent } from './advertising.ts';
import { normalizeAddress } from './address.ts';
import { AttServer, type Subscription } from './att-server.ts';
import { GattDatabase, type CharacteristicRecord, type ServiceDefinition } from './gatt-db.ts';
import { Status } from './hci-constants.ts';

export interface PeripheralOptions extends AdvertisingContent {
  /** "aa:bb:cc:dd:ee:ff" */
  address: string;
  /** default 'random' (noble assumes random for an address it has not scanned) */
  addressType?: 'public' | 'random';
  /** RSSI reported in advertising reports and Read RSSI, default -60 */
  rssi?: number;
  /** start advertising at once (default true) */
  advertising?: boolean;
  /** GAP Appearance (0x2A01), e.g. 0x0D40 = continuous glucose monitor */
  appearance?: number;
  /** the server's receive MTU offered in Exchange MTU (default 247, as Zephyr peripherals) */
  mtu?: number;
  /** add the GAP service 0x1800 with Device Name and Appearance (default true) */
  gapService?: boolean;
  services: readonly ServiceDefinition[];
}

export interface ConnectInfo {
  connectionHandle: number;
  centralAddress: string;
}

export interface DisconnectInfo {
  connectionHandle: number;
  /** HCI reason as the peripheral sees it: 0x13 when the central disconnected, 0x08 for dropLink() */
  reason: number;
}

export interface PeripheralEvents {
  connect: [info: ConnectInfo];
  disconnect: [info: DisconnectInfo];
  /** the central wrote a CCCD; charUuid in noble's spelling ("2aa7") */
  subscribe: [charUuid: string, sub: Subscription];
  mtu: [mtu: number];
  /** advertising (re)started or stopped */
  advertising: [on: boolean];
}

/**
 * Where a simulator puts its peripheral on the air: the VirtualController (HCI over a pty), or another central
 * side such as the fake BlueZ on D-Bus (../bluez), which serves the same GATT database.
 */
export interface PeripheralHost {
  addPeripheral(opts: PeripheralOptions): VirtualPeripheral;
}

/** What the controller offers a peripheral; implemented by VirtualController (and the fake BlueZ). */
export interface PeripheralLink {
  terminate(p: VirtualPeripheral, reasonToHost: number): void;
  removePeripheral(p: VirtualPeripheral): void;
  advertisingChanged(p: VirtualPeripheral): void;
  whenWritable(): Promise<void>;
}

/**
 * The GATT server of one link as a peripheral drives it: our AttServer (the virtual controller, the fake BlueZ),
 * or another stack's server (bleno, ../peripherals/bleno-adapter.ts) answering from the same GATT database.
 */
export interface GattServerLink {
  /** effective ATT_MTU */
  readonly mtu: number;
  /** stop (or resume) answering requests */
  unresponsive: boolean;
  subscription(char: CharacteristicRecord): Subscription;
  notify(char: CharacteristicRecord, value: Uint8Array): boolean;
  indicate(char: CharacteristicRecord, value: Uint8Array): Promise<void>;
}

export interface Connection {
  handle: number;
  att: GattServerLink;
  centralAddress: string;
}

export class VirtualPeripheral extends EventEmitter<PeripheralEvents> {
  readonly address: string;
  readonly addressType: 'public' | 'random';
  readonly name: string | undefined;
  readonly rssi: number;
  readonly connectable: boolean;
  readonly serverMtu: number;
  readonly gatt: GattDatabase;
  advData: Buffer;
  scanRspData: Buffer;
  private advertisingOn: boolean;
  private unresponsive = false;
  private removed = false;
  private readonly link: PeripheralLink;
  /** set by the controller while a central is connected */
  connection: Connection | null = null;

  constructor(opts: PeripheralOptions, link: PeripheralLink) {
    super();
    this.link = link;
    this.address = normalizeAddress(opts.address);
    this.addressType = opts.addressType ?? 'random';
    this.name = opts.name;
    this.rssi = opts.rssi ?? -60;
    this.connectable = opts.connectable ?? true;
    this.serverMtu = opts.mtu ?? 247;
    if (!Number.isInteger(this.serverMtu) || this.serverMtu < 23 || this.serverMtu > 517) {
      throw new RangeError(`mtu ${opts.mtu} must be 23..517`);
    }
    const payloads = buildAdvertisingPayloads(opts);
    this.advData = payloads.adv;
    this.scanRspData = payloads.scanRsp;
    this.advertisingOn = opts.advertising ?? true;
    this.gatt = new GattDatabase(
      opts.services,
      opts.gapService === false ? false : { name: opts.name, appearance: opts.appearance },
    );
  }

  get connected(): boolean {
    return this.connection !== null;
  }

  get connectionHandle(): number | null {
    return this.connection?.handle ?? null;
  }

  /** effective ATT_MTU of the current connection (23 before the exchange) */
  get mtu(): number {
    return this.connection?.att.mtu ?? 23;
  }

  /** Advertising now: switched on, not removed and not connected (one link at a time, like most sensors). */
  get isAdvertising(): boolean {
    return this.advertisingOn && !this.removed && this.connection === null;
  }

  get isUnresponsive(): boolean {
    return this.unresponsive;
  }

  setAdvertising(on: boolean): void {
    if (this.advertisingOn === on) return;
    this.advertisingOn = on;
    this.link.advertisingChanged(this);
    this.emit('advertising', this.isAdvertising);
  }

  /** Replaces the advertising content (name, UUIDs...). */
  setAdvertisingData(content: AdvertisingContent): void {
    const p = buildAdvertisingPayloads(content);
    this.advData = p.adv;
    this.scanRspData = p.scanRsp;
    this.link.advertisingChanged(this);
  }

  /**
   * The ATT server a central's new link to this peripheral talks to, answering from its GATT database and
   * passing its MTU and subscription changes on as this peripheral's events.
   */
  serveAtt(connectionHandle: number, send: (pdu: Buffer) => void): AttServer {
    const att = new AttServer(this.gatt, connectionHandle, this.serverMtu, send);
    att.unresponsive = this.unresponsive;
    att.on('mtu', (m) => this.emit('mtu', m));
    att.on('subscribe', (c, s) => this.emit('subscribe', c.uuid.key, s));
    return att;
  }

  characteristic(charUuid: string | number): CharacteristicRecord {
    return this.gatt.characteristic(charUuid);
  }

  /** The value served to reads of a characteristic without onRead. */
  setValue(charUuid: string | number, value: Uint8Array): void {
    this.characteristic(charUuid).value = Buffer.from(value);
  }

  subscription(charUuid: string | number): Subscription {
    const c = this.characteristic(charUuid);
    return this.connection ? this.connection.att.subscription(c) : { notify: false, indicate: false };
  }

  /** true when the connected central enabled notifications or indications */
  isSubscribed(charUuid: string | number): boolean {
    const s = this.subscription(charUuid);
    return s.notify || s.indicate;
  }

  /**
   * Sends a Handle Value Notification; false when not connected or notifications are off.
   * Throws CodecError ERR_TOO_LONG when bytes exceed ATT_MTU-3.
   */
  notify(charUuid: string | number, bytes: Uint8Array): boolean {
    const c = this.characteristic(charUuid);
    return this.connection ? this.connection.att.notify(c, bytes) : false;
  }

  /** notify() that first waits while the UART backlog is large: for bulk transfers (benchmarks). */
  async notifyPaced(charUuid: string | number, bytes: Uint8Array): Promise<boolean> {
    await this.link.whenWritable();
    return this.notify(charUuid, bytes);
  }

  /**
   * Sends a Handle Value Indication; resolves when the central confirms. Indications are queued, one in
   * flight per connection. Rejects when not connected, indications are off, or the link drops first.
   */
  indicate(charUuid: string | number, bytes: Uint8Array): Promise<void> {
    const c = this.characteristic(charUuid);
    if (!this.connection) return Promise.reject(new Error(`${this.address} is not connected`));
    return this.connection.att.indicate(c, bytes);
  }

  /** Controller-initiated loss of the link: the host sees Disconnection Complete, reason 0x08 (timeout). */
  dropLink(): void {
    if (this.connection) this.link.terminate(this, Status.connectionTimeout);
  }

  /** The peripheral ends the link itself; the host sees reason 0x13 (remote user terminated). */
  disconnect(reason: number = Status.remoteUserTerminated): void {
    if (this.connection) this.link.terminate(this, reason);
  }

  /** Stops (or resumes) answering ATT requests; the link stays up, as with hung firmware. */
  setUnresponsive(on: boolean): void {
    this.unresponsive = on;
    if (this.connection) this.connection.att.unresponsive = on;
  }

  /** Drops any link and takes the peripheral off the air. */
  remove(): void {
    if (this.removed) return;
    this.dropLink();
    this.removed = true;
    this.link.removePeripheral(this);
  }
}
