// A fake bluetoothd: the org.bluez D-Bus service with one adapter (hci0), a Device1 per simulated peripheral
// and, while connected, the peripheral's GATT database as GattService1/GattCharacteristic1/GattDescriptor1
// objects. It is a PeripheralHost: the same CgmSimulator/GlucoseMeterSimulator that run on the virtual HCI
// controller put their peripheral here, and every GATT method becomes an ATT request to that peripheral's own
// AttServer (att-client.ts), as bluetoothd is the ATT client of a real device. ATT errors come back as BlueZ's
// D-Bus errors (errors.ts); notifications and indications as PropertiesChanged of Value.
//
// What it models of BlueZ, and no more: discovery shows devices that advertise (and bonded ones); Connect waits
// for the device to advertise, connects, exchanges the MTU, exports the GATT objects and sets ServicesResolved;
// a link lost on the device side turns Connected false; objects of an unbonded device go away with its link.
// Tests add faults: a D-Bus error for the next N calls of a method (inject), and devices that refuse GATT
// access until bonded (requireBonding, then pair() as `bluetoothctl pair/trust` would).
import dbus from 'dbus-next';
import { plainSocketBusAddress } from '../../drivers/ble/dbus-address.ts';
import { AttServer } from '../hci/att-server.ts';
import { AttError } from '../hci/att.ts';
import { normalizeAddress } from '../hci/address.ts';
import { hasProperty, type CharacteristicRecord } from '../hci/gatt-db.ts';
import { Status } from '../hci/hci-constants.ts';
import { uuidFromBytes } from '../hci/uuid.ts';
import {
  VirtualPeripheral,
  type PeripheralHost,
  type PeripheralLink,
  type PeripheralOptions,
} from '../hci/peripheral.ts';
import { AttClient, AttRequestError } from './att-client.ts';
import { attToDbusError, bluezError, BluezError } from './errors.ts';
import {
  Adapter1,
  changed,
  Device1,
  GattCharacteristic1,
  GattDescriptor1,
  GattService1,
  ObjectManager,
  propertiesOf,
  type ManagedObjects,
  type VariantDict,
} from './interfaces.ts';

type DbusInterface = InstanceType<typeof dbus.interface.Interface>;
const nameOf = (iface: DbusInterface): string => (iface as unknown as { $name: string }).$name;

export type BluezMethod =
  | 'StartDiscovery'
  | 'StopDiscovery'
  | 'Connect'
  | 'Disconnect'
  | 'ReadValue'
  | 'WriteValue'
  | 'StartNotify'
  | 'StopNotify';

/** A D-Bus error answered instead of the next `times` calls of `method` (optionally one device / one UUID). */
export interface InjectedError {
  method: BluezMethod;
  /** device address; any device when absent */
  address?: string;
  /** characteristic UUID in noble's spelling ("2a18"); any when absent */
  uuid?: string;
  /** e.g. "org.bluez.Error.Failed" */
  name: string;
  message: string;
  /** default 1 */
  times?: number;
}

export interface CallRecord {
  method: BluezMethod;
  address: string;
  uuid?: string;
  /** the D-Bus error name answered, if any */
  error?: string;
}

export interface FakeBluezOptions {
  /** the private bus (see private-bus.ts) */
  busAddress: string;
  /** adapter index: the object is /org/bluez/hci<N> (default 0) */
  adapterIndex?: number;
  adapterAddress?: string;
  /** how long Connect waits for the device to advertise before "le-connection-abort-by-local" (default 5000) */
  connectTimeoutMs?: number;
  /** ATT transaction timeout; BlueZ drops the link after it (default 30000, as BlueZ) */
  attTimeoutMs?: number;
}

const BASE_UUID_SUFFIX = '-0000-1000-8000-00805f9b34fb';
/** GAP and GATT are claimed by bluetoothd's own plugins and not exported (Device Information is). */
const HIDDEN_SERVICES = new Set(['1800', '1801']);
/** services a meter serves without a bond (the ones real meters leave open) */
const OPEN_SERVICES = new Set(['1800', '1801', '180a']);

/** BlueZ's 128-bit lower-case spelling of a noble-style UUID key. */
export function bluezUuid(key: string): string {
  if (key.length <= 4) return `0000${key.padStart(4, '0')}${BASE_UUID_SUFFIX}`;
  if (key.length === 8) return `${key}${BASE_UUID_SUFFIX}`;
  return `${key.slice(0, 8)}-${key.slice(8, 12)}-${key.slice(12, 16)}-${key.slice(16, 20)}-${key.slice(20)}`;
}

function flagsOf(c: CharacteristicRecord): string[] {
  const flags: string[] = [];
  if (hasProperty(c, 'broadcast')) flags.push('broadcast');
  if (hasProperty(c, 'read')) flags.push('read');
  if (hasProperty(c, 'writeWithoutResponse')) flags.push('write-without-response');
  if (hasProperty(c, 'write')) flags.push('write');
  if (hasProperty(c, 'notify')) flags.push('notify');
  if (hasProperty(c, 'indicate')) flags.push('indicate');
  return flags;
}

const hex4 = (n: number) => n.toString(16).padStart(4, '0');
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface ExportedChar {
  path: string;
  record: CharacteristicRecord;
  serviceKey: string;
  iface: GattCharacteristic1;
}

interface Link {
  handle: number;
  att: AttServer;
  client: AttClient;
}

class DeviceEntry {
  readonly path: string;
  readonly iface: Device1;
  exported = false;
  link: Link | null = null;
  connecting = false;
  /** Disconnect called while a Connect waits for the device: the attempt is cancelled */
  cancelConnect = false;
  requireBonding = false;
  /** path → interface, children after parents */
  gattObjects: Array<{ path: string; iface: DbusInterface }> = [];
  chars = new Map<number, ExportedChar>();

  constructor(
    readonly peripheral: VirtualPeripheral,
    adapterPath: string,
    bluez: FakeBluez,
  ) {
    this.path = `${adapterPath}/dev_${peripheral.address.toUpperCase().replace(/:/g, '_')}`;
    this.iface = new Device1(
      {
        address: peripheral.address,
        addressType: peripheral.addressType,
        name: peripheral.name,
        uuids: advertisedUuids(peripheral),
        rssi: peripheral.rssi,
        connected: false,
        servicesResolved: false,
        paired: false,
        trusted: false,
        adapterPath,
      },
      { connect: () => bluez.connect(this), disconnect: () => bluez.disconnect(this) },
    );
  }

  get address(): string {
    return this.peripheral.address;
  }
}

/** 16- and 128-bit service UUIDs in the advertising data (AD types 0x02, 0x03, 0x06, 0x07), as Device1.UUIDs. */
function advertisedUuids(p: VirtualPeripheral): string[] {
  const out = new Set<string>();
  for (const data of [p.advData, p.scanRspData]) {
    for (let i = 0; i + 1 < data.length && data[i] > 0; i += 1 + data[i]) {
      const type = data[i + 1];
      const size = type === 0x02 || type === 0x03 ? 2 : type === 0x06 || type === 0x07 ? 16 : 0;
      const body = data.subarray(i + 2, i + 1 + data[i]);
      for (let j = 0; size > 0 && j + size <= body.length; j += size)
        out.add(bluezUuid(uuidFromBytes(body.subarray(j, j + size)).key));
    }
  }
  return [...out];
}

export class FakeBluez implements PeripheralHost, PeripheralLink {
  readonly adapterPath: string;
  readonly adapterAddress: string;
  /** every GATT/connection method called, in order, with the error answered */
  readonly calls: CallRecord[] = [];
  private readonly objectManager: ObjectManager;
  private readonly adapter: Adapter1;
  private readonly adapterState;
  private readonly devices = new Map<string, DeviceEntry>();
  private readonly byPath = new Map<string, DeviceEntry>();
  private injected: InjectedError[] = [];
  private nextHandle = 0x0040;
  private closed = false;
  /** The last error of the bus connection (a write after close, the daemon gone); kept, never thrown. */
  lastError: Error | null = null;
  private readonly connectTimeoutMs: number;
  private readonly attTimeoutMs: number;

  private constructor(
    private readonly bus: dbus.MessageBus,
    opts: FakeBluezOptions,
  ) {
    this.adapterPath = `/org/bluez/hci${opts.adapterIndex ?? 0}`;
    this.adapterAddress = normalizeAddress(opts.adapterAddress ?? '00:1a:7d:da:71:13');
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 5000;
    this.attTimeoutMs = opts.attTimeoutMs ?? 30_000;
    this.objectManager = new ObjectManager(() => this.managedObjects());
    this.adapterState = {
      address: this.adapterAddress,
      name: 'hddt-test',
      powered: true,
      discovering: false,
    };
    this.adapter = new Adapter1(this.adapterState, {
      startDiscovery: () => this.startDiscovery(),
      stopDiscovery: () => this.stopDiscovery(),
      setDiscoveryFilter: () => undefined,
      removeDevice: (path) => this.removeDevice(path),
    });
  }

  /** Connects to the bus, exports "/" and the adapter, and owns org.bluez. */
  static async start(opts: FakeBluezOptions): Promise<FakeBluez> {
    // over node's net, not usocket (see plainSocketBusAddress)
    const bus = dbus.sessionBus({ busAddress: plainSocketBusAddress(opts.busAddress) });
    const bluez = new FakeBluez(bus, opts);
    // dbus-next emits 'error' when the connection breaks or a signal goes out after disconnect (a simulator timer
    // notifying after close): unheard, Node would throw it at the test process
    bus.on('error', (e: Error) => (bluez.lastError = e));
    bus.export('/', bluez.objectManager);
    bus.export(bluez.adapterPath, bluez.adapter);
    const reply = await bus.requestName('org.bluez', dbus.NameFlag.DO_NOT_QUEUE);
    if (reply !== dbus.RequestNameReply.PRIMARY_OWNER) {
      bus.disconnect();
      throw new Error(`org.bluez is already owned on ${opts.busAddress}`);
    }
    return bluez;
  }

  get discovering(): boolean {
    return this.adapterState.discovering;
  }

  // ---- PeripheralHost -----------------------------------------------------------------------------

  addPeripheral(opts: PeripheralOptions): VirtualPeripheral {
    const address = normalizeAddress(opts.address);
    if (this.devices.has(address)) throw new Error(`a peripheral with address ${address} already exists`);
    const p = new VirtualPeripheral(opts, this);
    const d = new DeviceEntry(p, this.adapterPath, this);
    this.devices.set(address, d);
    this.byPath.set(d.path, d);
    this.advertisingChanged(p);
    return p;
  }

  // ---- PeripheralLink -----------------------------------------------------------------------------

  removePeripheral(p: VirtualPeripheral): void {
    const d = this.devices.get(p.address);
    if (!d) return;
    if (d.link) this.endLink(d, Status.connectionTimeout);
    this.unexportDevice(d);
    this.devices.delete(p.address);
    this.byPath.delete(d.path);
  }

  /** An advertisement seen while discovering: a new Device1, or a fresh RSSI for a known one. */
  advertisingChanged(p: VirtualPeripheral): void {
    const d = this.devices.get(p.address);
    if (!d || this.closed || !p.isAdvertising || !this.discovering) return;
    if (!d.exported) this.exportDevice(d);
    else changed(d.iface, { RSSI: d.iface.s.rssi });
  }

  terminate(p: VirtualPeripheral, reasonToHost: number): void {
    const d = this.devices.get(p.address);
    if (d?.link)
      this.endLink(d, reasonToHost === Status.connectionTimeout ? reasonToHost : Status.localHostTerminated);
  }

  whenWritable(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }

  // ---- test controls ------------------------------------------------------------------------------

  /** Answers the next call(s) of a method with a D-Bus error. */
  inject(e: InjectedError): void {
    this.injected.push({
      ...e,
      ...(e.address ? { address: normalizeAddress(e.address) } : {}),
      times: e.times ?? 1,
    });
  }

  /** The device refuses GATT access outside GAP/DIS with ATT 0x05 until it is bonded (see pair()). */
  requireBonding(address: string, on = true): void {
    this.device(address).requireBonding = on;
  }

  /** What `bluetoothctl pair` + `trust` leave behind: a bonded, trusted device BlueZ keeps in its tree. */
  pair(address: string): void {
    const d = this.device(address);
    d.iface.s.paired = true;
    d.iface.s.trusted = true;
    if (!d.exported) this.exportDevice(d);
    else changed(d.iface, { Paired: true, Bonded: true, Trusted: true });
  }

  isPaired(address: string): boolean {
    return this.device(address).iface.s.paired;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const d of this.devices.values()) if (d.link) this.endLink(d, Status.localHostTerminated);
    await this.bus.releaseName('org.bluez').catch(() => undefined);
    this.bus.disconnect();
  }

  // ---- the object tree ----------------------------------------------------------------------------

  private device(address: string): DeviceEntry {
    const d = this.devices.get(normalizeAddress(address));
    if (!d) throw new Error(`no peripheral ${address}`);
    return d;
  }

  private managedObjects(): ManagedObjects {
    const tree: ManagedObjects = {
      [this.adapterPath]: { 'org.bluez.Adapter1': propertiesOf(this.adapter) },
    };
    for (const d of this.devices.values()) {
      if (!d.exported) continue;
      tree[d.path] = { 'org.bluez.Device1': propertiesOf(d.iface) };
      for (const o of d.gattObjects) tree[o.path] = { [nameOf(o.iface)]: propertiesOf(o.iface) };
    }
    return tree;
  }

  private exportObject(path: string, iface: DbusInterface): void {
    this.bus.export(path, iface);
    this.objectManager.InterfacesAdded(path, { [nameOf(iface)]: propertiesOf(iface) });
  }

  private unexportObject(path: string, iface: DbusInterface): void {
    this.bus.unexport(path, iface);
    this.objectManager.InterfacesRemoved(path, [nameOf(iface)]);
  }

  private exportDevice(d: DeviceEntry): void {
    d.exported = true;
    this.exportObject(d.path, d.iface);
  }

  private unexportDevice(d: DeviceEntry): void {
    this.unexportGatt(d);
    if (!d.exported) return;
    d.exported = false;
    this.unexportObject(d.path, d.iface);
  }

  private removeDevice(path: string): void {
    const d = this.byPath.get(path);
    if (!d) throw bluezError(BluezError.doesNotExist, 'Does Not Exist');
    if (d.link) this.endLink(d, Status.localHostTerminated);
    d.iface.s.paired = false;
    d.iface.s.trusted = false;
    this.unexportDevice(d);
  }

  /** GattService1/Characteristic1/Descriptor1 objects for the peripheral's database (BlueZ's paths). */
  private exportGatt(d: DeviceEntry): void {
    if (d.gattObjects.length > 0) return;
    const db = d.peripheral.gatt;
    const mtu = d.link?.client.mtu ?? 23;
    for (const s of db.services) {
      if (HIDDEN_SERVICES.has(s.uuid.key)) continue;
      const sPath = `${d.path}/service${hex4(s.start)}`;
      const objects: Array<{ path: string; iface: DbusInterface }> = [
        { path: sPath, iface: new GattService1(bluezUuid(s.uuid.key), d.path, s.start) },
      ];
      for (const c of db.characteristics) {
        if (c.declHandle < s.start || c.declHandle > s.end) continue;
        const cPath = `${sPath}/char${hex4(c.declHandle)}`;
        const state = {
          uuid: bluezUuid(c.uuid.key),
          service: sPath,
          flags: flagsOf(c),
          value: Buffer.alloc(0) as Buffer,
          notifying: false,
          mtu,
        };
        const iface: GattCharacteristic1 = new GattCharacteristic1(state, {
          readValue: () => this.readValue(d, s.uuid.key, c.uuid.key, c.valueHandle, iface),
          writeValue: (v, o) => this.writeValue(d, s.uuid.key, c.uuid.key, c.valueHandle, v, o),
          startNotify: () => this.setNotify(d, s.uuid.key, exported, true),
          stopNotify: () => this.setNotify(d, s.uuid.key, exported, false),
        });
        const exported: ExportedChar = { path: cPath, record: c, serviceKey: s.uuid.key, iface };
        d.chars.set(c.valueHandle, exported);
        objects.push({ path: cPath, iface });
        for (let h = c.valueHandle + 1; h <= c.endHandle; h++) {
          const a = db.get(h);
          if (!a) continue;
          const isCccd = a.kind === 'cccd';
          const dState = {
            uuid: bluezUuid(a.type.key),
            characteristic: cPath,
            flags: isCccd
              ? ['read', 'write']
              : a.kind === 'descriptor' && a.writable
                ? ['read', 'write']
                : ['read'],
            value: Buffer.alloc(0) as Buffer,
          };
          const dIface: GattDescriptor1 = new GattDescriptor1(dState, {
            readValue: async () => {
              this.check(d, 'ReadValue', c.uuid.key);
              dState.value = await this.att(d, (l) => l.client.read(h));
              return dState.value;
            },
            writeValue: async (v) => {
              this.check(d, 'WriteValue', c.uuid.key);
              // BlueZ keeps the CCCD to itself: clients use StartNotify
              if (isCccd) throw bluezError(BluezError.notPermitted, 'Write not permitted');
              await this.att(d, (l) => l.client.write(h, v));
            },
          });
          objects.push({ path: `${cPath}/desc${hex4(h)}`, iface: dIface });
        }
      }
      for (const o of objects) {
        d.gattObjects.push(o);
        this.exportObject(o.path, o.iface);
      }
    }
    const uuids = new Set(d.iface.s.uuids);
    for (const s of db.services) if (!HIDDEN_SERVICES.has(s.uuid.key)) uuids.add(bluezUuid(s.uuid.key));
    if (uuids.size !== d.iface.s.uuids.length) {
      d.iface.s.uuids = [...uuids];
      changed(d.iface, { UUIDs: d.iface.s.uuids });
    }
  }

  private unexportGatt(d: DeviceEntry): void {
    for (const o of [...d.gattObjects].reverse()) this.unexportObject(o.path, o.iface);
    d.gattObjects = [];
    d.chars.clear();
  }

  // ---- Adapter1 -----------------------------------------------------------------------------------

  private startDiscovery(): void {
    this.record('StartDiscovery', '');
    if (this.discovering) throw bluezError(BluezError.inProgress, 'Operation already in progress');
    this.adapterState.discovering = true;
    changed(this.adapter, { Discovering: true });
    for (const d of this.devices.values()) this.advertisingChanged(d.peripheral);
  }

  private stopDiscovery(): void {
    this.record('StopDiscovery', '');
    if (!this.discovering) throw bluezError(BluezError.failed, 'No discovery started');
    this.adapterState.discovering = false;
    changed(this.adapter, { Discovering: false });
  }

  // ---- Device1 ------------------------------------------------------------------------------------

  /** Device1.Connect: as BlueZ for LE, the reply comes once the GATT objects are exported and resolved. */
  async connect(d: DeviceEntry): Promise<void> {
    this.check(d, 'Connect');
    if (d.link) return;
    if (d.connecting) throw bluezError(BluezError.inProgress, 'In Progress');
    d.connecting = true;
    d.cancelConnect = false;
    try {
      const p = d.peripheral;
      const until = Date.now() + this.connectTimeoutMs;
      while (!(p.isAdvertising && p.connectable)) {
        if (this.closed || d.cancelConnect || Date.now() > until || !this.devices.has(d.address))
          throw bluezError(BluezError.failed, 'le-connection-abort-by-local');
        await sleep(10);
      }
      const link = this.openLink(d);
      d.iface.s.connected = true;
      changed(d.iface, { Connected: true });
      await link.client.exchangeMtu();
      if (d.link !== link) throw bluezError(BluezError.failed, 'Software caused connection abort');
      this.exportGatt(d);
      d.iface.s.servicesResolved = true;
      changed(d.iface, { ServicesResolved: true });
    } finally {
      d.connecting = false;
    }
  }

  /**
   * Device1.Disconnect: the peripheral sees "remote user terminated"; the reply comes after the signals. While a
   * Connect still waits for the device, it cancels that attempt (the Connect fails).
   */
  async disconnect(d: DeviceEntry): Promise<void> {
    this.check(d, 'Disconnect');
    if (d.link) this.endLink(d, Status.remoteUserTerminated);
    else if (d.connecting) d.cancelConnect = true;
    else throw bluezError(BluezError.notConnected, 'Not Connected');
  }

  private openLink(d: DeviceEntry): Link {
    const p = d.peripheral;
    const handle = this.nextHandle++;
    const client: AttClient = new AttClient(
      (pdu) => att.receive(pdu),
      (h, value) => this.onValue(d, h, value),
      this.attTimeoutMs,
      () => this.endLink(d, Status.connectionTimeout),
    );
    const att = new AttServer(p.gatt, handle, p.serverMtu, (pdu) => client.fromServer(pdu));
    att.unresponsive = p.isUnresponsive;
    att.on('mtu', (m) => p.emit('mtu', m));
    att.on('subscribe', (c, s) => p.emit('subscribe', c.uuid.key, s));
    const link = { handle, att, client };
    d.link = link;
    p.connection = { handle, att, centralAddress: this.adapterAddress };
    p.emit('advertising', false);
    p.emit('connect', { connectionHandle: handle, centralAddress: this.adapterAddress });
    return link;
  }

  /** The link is gone (either side): ATT fails, the device's D-Bus state follows. */
  private endLink(d: DeviceEntry, reasonToPeripheral: number): void {
    const link = d.link;
    if (!link) return;
    d.link = null;
    link.client.close(bluezError(BluezError.failed, 'Not connected'));
    link.att.close(`reason 0x${reasonToPeripheral.toString(16)}`);
    const p = d.peripheral;
    p.connection = null;
    p.emit('disconnect', { connectionHandle: link.handle, reason: reasonToPeripheral });
    for (const c of d.chars.values()) {
      if (!c.iface.s.notifying) continue;
      c.iface.s.notifying = false;
      changed(c.iface, { Notifying: false });
    }
    if (d.iface.s.servicesResolved) {
      d.iface.s.servicesResolved = false;
      changed(d.iface, { ServicesResolved: false });
    }
    // BlueZ forgets the attribute cache of a device it has no bond with
    if (!d.iface.s.paired) this.unexportGatt(d);
    d.iface.s.connected = false;
    changed(d.iface, { Connected: false });
    if (p.isAdvertising) p.emit('advertising', true);
    this.advertisingChanged(p);
  }

  // ---- GATT ---------------------------------------------------------------------------------------

  private record(method: BluezMethod, address: string, uuid?: string, error?: string): void {
    this.calls.push({ method, address, ...(uuid ? { uuid } : {}), ...(error ? { error } : {}) });
  }

  /** Records the call and throws an injected error for it, if one is pending. */
  private check(d: DeviceEntry, method: BluezMethod, uuid?: string): void {
    const i = this.injected.findIndex(
      (e) => e.method === method && (!e.address || e.address === d.address) && (!e.uuid || e.uuid === uuid),
    );
    if (i < 0) {
      this.record(method, d.address, uuid);
      return;
    }
    const e = this.injected[i];
    e.times = (e.times ?? 1) - 1;
    if (e.times <= 0) this.injected.splice(i, 1);
    this.record(method, d.address, uuid, e.name);
    throw bluezError(e.name, e.message);
  }

  /** Runs an ATT operation on the current link; ATT errors become BlueZ's D-Bus errors. */
  private async att<T>(d: DeviceEntry, op: (l: Link) => Promise<T>): Promise<T> {
    const link = d.link;
    if (!link || !d.iface.s.servicesResolved) throw bluezError(BluezError.failed, 'Not connected');
    try {
      return await op(link);
    } catch (e) {
      if (e instanceof AttRequestError) throw attToDbusError(e.code);
      if (e instanceof dbus.DBusError) throw e;
      throw bluezError(BluezError.failed, (e as Error).message);
    }
  }

  /** A meter that wants a bond answers 0x05 Insufficient Authentication; without one BlueZ cannot fix that. */
  private checkBond(d: DeviceEntry, serviceKey: string): void {
    if (d.requireBonding && !d.iface.s.paired && !OPEN_SERVICES.has(serviceKey))
      throw attToDbusError(AttError.insufficientAuthentication);
  }

  private async readValue(
    d: DeviceEntry,
    serviceKey: string,
    uuid: string,
    handle: number,
    iface: GattCharacteristic1,
  ): Promise<Buffer> {
    this.check(d, 'ReadValue', uuid);
    const value = await this.att(d, async (l) => {
      this.checkBond(d, serviceKey);
      return l.client.read(handle);
    });
    // BlueZ caches what it read and says so (also to clients that are notified of this characteristic)
    iface.s.value = value;
    changed(iface, { Value: value });
    return value;
  }

  private async writeValue(
    d: DeviceEntry,
    serviceKey: string,
    uuid: string,
    handle: number,
    value: Buffer,
    options: VariantDict,
  ): Promise<void> {
    this.check(d, 'WriteValue', uuid);
    const type = options.type?.value as string | undefined;
    await this.att(d, async (l) => {
      this.checkBond(d, serviceKey);
      if (type === 'command') l.client.writeWithoutResponse(handle, value);
      else await l.client.write(handle, value);
    });
  }

  /** StartNotify/StopNotify: BlueZ writes the CCCD (notifications when offered, else indications). */
  private async setNotify(d: DeviceEntry, serviceKey: string, c: ExportedChar, on: boolean): Promise<void> {
    this.check(d, on ? 'StartNotify' : 'StopNotify', c.record.uuid.key);
    const rec = c.record;
    if (on && !hasProperty(rec, 'notify') && !hasProperty(rec, 'indicate'))
      throw bluezError(BluezError.notSupported, 'Operation is not supported');
    if (c.iface.s.notifying === on) return;
    if (rec.cccdHandle === null) return;
    const cccd = rec.cccdHandle;
    const bits = !on ? 0 : hasProperty(rec, 'notify') ? 0x0001 : 0x0002;
    await this.att(d, async (l) => {
      this.checkBond(d, serviceKey);
      await l.client.write(cccd, Buffer.from([bits, 0]));
    });
    c.iface.s.notifying = on;
    changed(c.iface, { Notifying: on });
  }

  /** A notification or (already confirmed) indication: PropertiesChanged of Value. */
  private onValue(d: DeviceEntry, handle: number, value: Buffer): void {
    const c = d.chars.get(handle);
    if (!c || !c.iface.s.notifying) return;
    c.iface.s.value = value;
    changed(c.iface, { Value: value });
  }
}
