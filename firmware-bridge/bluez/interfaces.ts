// The org.bluez D-Bus interfaces noble's BlueZ binding (lib/dbus/bindings.js) talks to, as dbus-next service
// interfaces: ObjectManager on "/", Adapter1, Device1, GattService1, GattCharacteristic1, GattDescriptor1.
// Properties are read from plain state objects; methods call into the FakeBluez (fake-bluez.ts) that owns them.
// org.freedesktop.DBus.Properties (Get/GetAll/Set, PropertiesChanged) comes with every exported object.
import dbus from 'dbus-next';

const { Interface } = dbus.interface;
type Variant = InstanceType<typeof dbus.Variant>;
/** a{sv} as dbus-next hands it to a method */
export type VariantDict = Record<string, Variant>;

/** Property values of one interface of one object, keyed by property name, as D-Bus variants. */
export function propertiesOf(iface: InstanceType<typeof Interface>): VariantDict {
  const props = (iface as unknown as { $properties?: Record<string, { name: string; signature: string }> })
    .$properties;
  const out: VariantDict = {};
  for (const [key, p] of Object.entries(props ?? {})) {
    const value = (iface as unknown as Record<string, unknown>)[key];
    if (value !== undefined) out[p.name] = new dbus.Variant(p.signature, value);
  }
  return out;
}

/** Emits org.freedesktop.DBus.Properties.PropertiesChanged for the given properties of iface. */
export function changed(iface: InstanceType<typeof Interface>, props: Record<string, unknown>): void {
  Interface.emitPropertiesChanged(iface, props, []);
}

export type ManagedObjects = Record<string, Record<string, VariantDict>>;

export class ObjectManager extends Interface {
  private readonly tree: () => ManagedObjects;

  constructor(tree: () => ManagedObjects) {
    super('org.freedesktop.DBus.ObjectManager');
    this.tree = tree;
  }
  GetManagedObjects(): ManagedObjects {
    return this.tree();
  }
  InterfacesAdded(path: string, ifaces: Record<string, VariantDict>): unknown {
    return [path, ifaces];
  }
  InterfacesRemoved(path: string, names: string[]): unknown {
    return [path, names];
  }
}
ObjectManager.configureMembers({
  methods: { GetManagedObjects: { outSignature: 'a{oa{sa{sv}}}' } },
  signals: { InterfacesAdded: { signature: 'oa{sa{sv}}' }, InterfacesRemoved: { signature: 'oas' } },
});

export interface AdapterState {
  address: string;
  name: string;
  powered: boolean;
  discovering: boolean;
}

export interface AdapterBackend {
  startDiscovery(): void;
  stopDiscovery(): void;
  setDiscoveryFilter(filter: VariantDict): void;
  removeDevice(path: string): void;
}

export class Adapter1 extends Interface {
  private readonly s: AdapterState;
  private readonly backend: AdapterBackend;

  constructor(s: AdapterState, backend: AdapterBackend) {
    super('org.bluez.Adapter1');
    this.s = s;
    this.backend = backend;
  }
  get Address(): string {
    return this.s.address.toUpperCase();
  }
  get AddressType(): string {
    return 'public';
  }
  get Name(): string {
    return this.s.name;
  }
  get Alias(): string {
    return this.s.name;
  }
  get Powered(): boolean {
    return this.s.powered;
  }
  set Powered(on: boolean) {
    this.s.powered = on;
    changed(this, { Powered: on });
  }
  get Discovering(): boolean {
    return this.s.discovering;
  }
  StartDiscovery(): void {
    this.backend.startDiscovery();
  }
  StopDiscovery(): void {
    this.backend.stopDiscovery();
  }
  SetDiscoveryFilter(filter: VariantDict): void {
    this.backend.setDiscoveryFilter(filter);
  }
  RemoveDevice(path: string): void {
    this.backend.removeDevice(path);
  }
}
Adapter1.configureMembers({
  properties: {
    Address: { signature: 's', access: 'read' },
    AddressType: { signature: 's', access: 'read' },
    Name: { signature: 's', access: 'read' },
    Alias: { signature: 's', access: 'read' },
    Powered: { signature: 'b', access: 'readwrite' },
    Discovering: { signature: 'b', access: 'read' },
  },
  methods: {
    StartDiscovery: {},
    StopDiscovery: {},
    SetDiscoveryFilter: { inSignature: 'a{sv}' },
    RemoveDevice: { inSignature: 'o' },
  },
});

export interface DeviceState {
  address: string;
  addressType: 'public' | 'random';
  name: string | undefined;
  uuids: string[];
  rssi: number;
  connected: boolean;
  servicesResolved: boolean;
  paired: boolean;
  trusted: boolean;
  adapterPath: string;
}

export interface DeviceBackend {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  pair(): Promise<void>;
}

export class Device1 extends Interface {
  readonly s: DeviceState;
  private readonly backend: DeviceBackend;

  constructor(s: DeviceState, backend: DeviceBackend) {
    super('org.bluez.Device1');
    this.s = s;
    this.backend = backend;
  }
  get Address(): string {
    return this.s.address.toUpperCase();
  }
  get AddressType(): string {
    return this.s.addressType;
  }
  get Name(): string | undefined {
    return this.s.name;
  }
  get Alias(): string {
    return this.s.name ?? this.s.address.toUpperCase().replace(/:/g, '-');
  }
  get UUIDs(): string[] {
    return this.s.uuids;
  }
  get RSSI(): number {
    return this.s.rssi;
  }
  get Connected(): boolean {
    return this.s.connected;
  }
  get ServicesResolved(): boolean {
    return this.s.servicesResolved;
  }
  get Paired(): boolean {
    return this.s.paired;
  }
  get Bonded(): boolean {
    return this.s.paired;
  }
  get Trusted(): boolean {
    return this.s.trusted;
  }
  set Trusted(on: boolean) {
    this.s.trusted = on;
    changed(this, { Trusted: on });
  }
  get Adapter(): string {
    return this.s.adapterPath;
  }
  Connect(): Promise<void> {
    return this.backend.connect();
  }
  Disconnect(): Promise<void> {
    return this.backend.disconnect();
  }
  Pair(): Promise<void> {
    return this.backend.pair();
  }
}
Device1.configureMembers({
  properties: {
    Address: { signature: 's', access: 'read' },
    AddressType: { signature: 's', access: 'read' },
    Name: { signature: 's', access: 'read' },
    Alias: { signature: 's', access: 'read' },
    UUIDs: { signature: 'as', access: 'read' },
    RSSI: { signature: 'n', access: 'read' },
    Connected: { signature: 'b', access: 'read' },
    ServicesResolved: { signature: 'b', access: 'read' },
    Paired: { signature: 'b', access: 'read' },
    Bonded: { signature: 'b', access: 'read' },
    Trusted: { signature: 'b', access: 'readwrite' },
    Adapter: { signature: 'o', access: 'read' },
  },
  methods: { Connect: {}, Disconnect: {}, Pair: {} },
});

export class GattService1 extends Interface {
  private readonly uuid: string;
  private readonly device: string;
  private readonly handle: number;

  constructor(uuid: string, device: string, handle: number) {
    super('org.bluez.GattService1');
    this.uuid = uuid;
    this.device = device;
    this.handle = handle;
  }
  get UUID(): string {
    return this.uuid;
  }
  get Primary(): boolean {
    return true;
  }
  get Device(): string {
    return this.device;
  }
  get Handle(): number {
    return this.handle;
  }
}
GattService1.configureMembers({
  properties: {
    UUID: { signature: 's', access: 'read' },
    Primary: { signature: 'b', access: 'read' },
    Device: { signature: 'o', access: 'read' },
    Handle: { signature: 'q', access: 'read' },
  },
});

export interface CharacteristicState {
  uuid: string;
  service: string;
  flags: string[];
  value: Buffer;
  notifying: boolean;
  mtu: number;
}

export interface ValueBackend {
  readValue(options: VariantDict): Promise<Buffer>;
  writeValue(value: Buffer, options: VariantDict): Promise<void>;
}

export interface CharacteristicBackend extends ValueBackend {
  startNotify(): Promise<void>;
  stopNotify(): Promise<void>;
}

export class GattCharacteristic1 extends Interface {
  readonly s: CharacteristicState;
  private readonly backend: CharacteristicBackend;

  constructor(s: CharacteristicState, backend: CharacteristicBackend) {
    super('org.bluez.GattCharacteristic1');
    this.s = s;
    this.backend = backend;
  }
  get UUID(): string {
    return this.s.uuid;
  }
  get Service(): string {
    return this.s.service;
  }
  get Flags(): string[] {
    return this.s.flags;
  }
  get Value(): Buffer {
    return this.s.value;
  }
  get Notifying(): boolean {
    return this.s.notifying;
  }
  get MTU(): number {
    return this.s.mtu;
  }
  ReadValue(options: VariantDict): Promise<Buffer> {
    return this.backend.readValue(options);
  }
  WriteValue(value: Buffer, options: VariantDict): Promise<void> {
    return this.backend.writeValue(value, options);
  }
  StartNotify(): Promise<void> {
    return this.backend.startNotify();
  }
  StopNotify(): Promise<void> {
    return this.backend.stopNotify();
  }
}
GattCharacteristic1.configureMembers({
  properties: {
    UUID: { signature: 's', access: 'read' },
    Service: { signature: 'o', access: 'read' },
    Flags: { signature: 'as', access: 'read' },
    Value: { signature: 'ay', access: 'read' },
    Notifying: { signature: 'b', access: 'read' },
    MTU: { signature: 'q', access: 'read' },
  },
  methods: {
    ReadValue: { inSignature: 'a{sv}', outSignature: 'ay' },
    WriteValue: { inSignature: 'aya{sv}' },
    StartNotify: {},
    StopNotify: {},
  },
});

export interface DescriptorState {
  uuid: string;
  characteristic: string;
  flags: string[];
  value: Buffer;
}

export class GattDescriptor1 extends Interface {
  readonly s: DescriptorState;
  private readonly backend: ValueBackend;

  constructor(s: DescriptorState, backend: ValueBackend) {
    super('org.bluez.GattDescriptor1');
    this.s = s;
    this.backend = backend;
  }
  get UUID(): string {
    return this.s.uuid;
  }
  get Characteristic(): string {
    return this.s.characteristic;
  }
  get Flags(): string[] {
    return this.s.flags;
  }
  get Value(): Buffer {
    return this.s.value;
  }
  ReadValue(options: VariantDict): Promise<Buffer> {
    return this.backend.readValue(options);
  }
  WriteValue(value: Buffer, options: VariantDict): Promise<void> {
    return this.backend.writeValue(value, options);
  }
}
GattDescriptor1.configureMembers({
  properties: {
    UUID: { signature: 's', access: 'read' },
    Characteristic: { signature: 'o', access: 'read' },
    Flags: { signature: 'as', access: 'read' },
    Value: { signature: 'ay', access: 'read' },
  },
  methods: {
    ReadValue: { inSignature: 'a{sv}', outSignature: 'ay' },
    WriteValue: { inSignature: 'aya{sv}' },
  },
});
