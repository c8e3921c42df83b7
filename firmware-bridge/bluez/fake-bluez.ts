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
//
// Here: the adapter, the object tree and the device links; device.ts the device state, gatt-objects.ts the
// GATT objects and their methods, call-log.ts the call log and injected errors, naming.ts BlueZ's spellings.
import dbus from 'dbus-next';
import { plainSocketBusAddress } from '../../drivers/ble/dbus-address.ts';
import { normalizeAddress } from '../hci/address.ts';
import { Status } from '../hci/hci-constants.ts';
import {
  VirtualPeripheral,
  type PeripheralHost,
  type PeripheralLink,
  type PeripheralOptions,
} from '../hci/peripheral.ts';
import { AgentManager1, AgentRegistry, type AgentCall, type PairingMethod } from './agents.ts';
import { AttClient } from './att-client.ts';
import { CallLog, type CallRecord, type InjectedError } from './call-log.ts';
import { DeviceEntry, type DbusInterface, type Link } from './device.ts';
import { bluezError, BluezError } from './errors.ts';
import { GattObjects } from './gatt-objects.ts';
import { Adapter1, changed, ObjectManager, propertiesOf, type ManagedObjects } from './interfaces.ts';

const nameOf = (iface: DbusInterface): string => (iface as unknown as { $name: string }).$name;

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

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class FakeBluez implements PeripheralHost, PeripheralLink {
  readonly adapterPath: string;
  readonly adapterAddress: string;
  /** The last error of the bus connection (a write after close, the daemon gone); kept, never thrown. */
  lastError: Error | null = null;
  private readonly bus: dbus.MessageBus;
  private readonly objectManager: ObjectManager;
  private readonly adapter: Adapter1;
  private readonly adapterState;
  private readonly devices = new Map<string, DeviceEntry>();
  private readonly byPath = new Map<string, DeviceEntry>();
  private readonly log = new CallLog();
  private readonly agents: AgentRegistry;
  private readonly gatt: GattObjects;
  private nextHandle = 0x0040;
  private closed = false;
  private readonly connectTimeoutMs: number;
  private readonly attTimeoutMs: number;

  private constructor(bus: dbus.MessageBus, opts: FakeBluezOptions) {
    this.bus = bus;
    this.adapterPath = `/org/bluez/hci${opts.adapterIndex ?? 0}`;
    this.adapterAddress = normalizeAddress(opts.adapterAddress ?? '00:1a:7d:da:71:13');
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 5000;
    this.attTimeoutMs = opts.attTimeoutMs ?? 30_000;
    this.objectManager = new ObjectManager(() => this.managedObjects());
    this.agents = new AgentRegistry(bus);
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
    this.gatt = new GattObjects({
      check: (d, method, uuid) => this.log.check(method, d.address, uuid),
      exportObject: (path, iface) => this.exportObject(path, iface),
      unexportObject: (path, iface) => this.unexportObject(path, iface),
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
    bus.export('/org/bluez', new AgentManager1(bluez.agents));
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

  /** every GATT/connection method called, in order, with the error answered */
  get calls(): CallRecord[] {
    return this.log.calls;
  }

  // ---- PeripheralHost -----------------------------------------------------------------------------

  addPeripheral(opts: PeripheralOptions): VirtualPeripheral {
    const address = normalizeAddress(opts.address);
    if (this.devices.has(address)) throw new Error(`a peripheral with address ${address} already exists`);
    const p = new VirtualPeripheral(opts, this);
    const d: DeviceEntry = new DeviceEntry(p, this.adapterPath, {
      connect: () => this.connect(d),
      disconnect: () => this.disconnect(d),
      pair: () => this.pairDevice(d),
    });
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
    this.log.inject(e);
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

  /** How Device1.Pair authenticates this device: Just Works (default), passkey entry, numeric comparison. */
  pairingMethod(address: string, method: PairingMethod): void {
    this.device(address).pairing = method;
  }

  /**
   * The meter forgot the bond (factory reset, paired with a phone): BlueZ still holds keys it no longer
   * accepts, so Connect fails with AuthenticationFailed "PIN or Key Missing" until the device is paired again.
   */
  loseBond(address: string): void {
    this.device(address).bondLost = true;
  }

  /** what the fake asked the pairing agent */
  get agentCalls(): AgentCall[] {
    return this.agents.calls;
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
    this.gatt.unexport(d);
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

  // ---- Adapter1 -----------------------------------------------------------------------------------

  private startDiscovery(): void {
    this.log.record('StartDiscovery', '');
    if (this.discovering) throw bluezError(BluezError.inProgress, 'Operation already in progress');
    this.adapterState.discovering = true;
    changed(this.adapter, { Discovering: true });
    for (const d of this.devices.values()) this.advertisingChanged(d.peripheral);
  }

  private stopDiscovery(): void {
    this.log.record('StopDiscovery', '');
    if (!this.discovering) throw bluezError(BluezError.failed, 'No discovery started');
    this.adapterState.discovering = false;
    changed(this.adapter, { Discovering: false });
  }

  // ---- Device1 ------------------------------------------------------------------------------------

  /** Device1.Connect: as BlueZ for LE, the reply comes once the GATT objects are exported and resolved. */
  private async connect(d: DeviceEntry): Promise<void> {
    this.log.check('Connect', d.address);
    if (d.link) return;
    if (d.bondLost) throw bluezError(BluezError.authenticationFailed, 'PIN or Key Missing');
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
      this.gatt.export(d);
      d.iface.s.servicesResolved = true;
      changed(d.iface, { ServicesResolved: true });
    } finally {
      d.connecting = false;
    }
  }

  /** Device1.Pair: the agent exchange of the device's pairing method; a bond BlueZ keeps, trusted or not. */
  private async pairDevice(d: DeviceEntry): Promise<void> {
    this.log.check('Pair', d.address);
    if (d.iface.s.paired && !d.bondLost) throw bluezError('org.bluez.Error.AlreadyExists', 'Already Exists');
    await this.agents.pair(d.path, d.pairing);
    d.iface.s.paired = true;
    d.bondLost = false;
    if (!d.exported) this.exportDevice(d);
    else changed(d.iface, { Paired: true, Bonded: true });
  }

  /**
   * Device1.Disconnect: the peripheral sees "remote user terminated"; the reply comes after the signals. While a
   * Connect still waits for the device, it cancels that attempt (the Connect fails).
   */
  private async disconnect(d: DeviceEntry): Promise<void> {
    this.log.check('Disconnect', d.address);
    if (d.link) this.endLink(d, Status.remoteUserTerminated);
    else if (d.connecting) d.cancelConnect = true;
    else throw bluezError(BluezError.notConnected, 'Not Connected');
  }

  private openLink(d: DeviceEntry): Link {
    const p = d.peripheral;
    const handle = this.nextHandle++;
    const client: AttClient = new AttClient(
      (pdu) => att.receive(pdu),
      (h, value) => this.gatt.onValue(d, h, value),
      this.attTimeoutMs,
      () => this.endLink(d, Status.connectionTimeout),
    );
    const att = p.serveAtt(handle, (pdu) => client.fromServer(pdu));
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
    if (!d.iface.s.paired) this.gatt.unexport(d);
    d.iface.s.connected = false;
    changed(d.iface, { Connected: false });
    if (p.isAdvertising) p.emit('advertising', true);
    this.advertisingChanged(p);
  }
}
