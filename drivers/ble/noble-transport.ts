// The transport on @stoprocent/noble 2.8: the HCI socket (a kernel adapter), an H4 controller on a serial port
// (an HCI-UART dongle, or the virtual controller over a pty), or BlueZ over D-Bus. Every noble callback is
// wrapped: nothing thrown by our code may reach noble's event loop (spec E; design "invalid data is an
// outcome").
import {
  withBindings,
  type BindingType,
  type Characteristic,
  type Noble,
  type Peripheral,
} from '@stoprocent/noble';
import type { BleConfig } from '../../config/types.ts';
import type { Logger } from '../../gateway/log.ts';
import { plainSocketBusAddress } from './dbus-address.ts';
import { normalizeAddress } from './uuids.ts';
import { LinkError, type Advertisement, type BleRadio, type GattLink } from './transport.ts';

export type NobleRadioConfig = Pick<
  BleConfig,
  'driver' | 'hciDeviceId' | 'userChannel' | 'uartPort' | 'uartBaudRate' | 'extended' | 'gattTimeoutMs'
>;

/** Binding options for the configured driver (spec E.1). */
export function nobleBindingOptions(cfg: NobleRadioConfig): { binding: string; options: object } {
  const extended = cfg.extended === null ? {} : { extended: cfg.extended };
  switch (cfg.driver) {
    case 'hci':
      return {
        binding: 'hci',
        options: { deviceId: cfg.hciDeviceId, userChannel: cfg.userChannel, ...extended },
      };
    case 'uart':
      if (!cfg.uartPort) throw new Error('ble.driver "uart" needs ble.uartPort (e.g. /dev/ttyACM0)');
      return {
        binding: 'hci',
        options: {
          hciDriver: 'uart',
          bindParams: { uart: { port: cfg.uartPort, baudRate: cfg.uartBaudRate } },
          ...extended,
        },
      };
    case 'dbus':
      // noble's BlueZ binding picks the adapter by `hciDeviceId` (lib/dbus/bindings.js _pickAdapterPath).
      return { binding: 'dbus', options: { hciDeviceId: cfg.hciDeviceId } };
  }
}

const BOND_ERRORS = new Set([
  'org.bluez.Error.NotPaired',
  'org.bluez.Error.AuthenticationFailed',
  'org.bluez.Error.AuthenticationRejected',
  'org.bluez.Error.AuthenticationCanceled',
  'org.bluez.Error.AuthenticationTimeout',
]);

/**
 * The message of an error from noble. On the dbus driver it is dbus-next's DBusError, whose message is only
 * BlueZ's text ("Not paired", "le-connection-abort-by-local"); the D-Bus error name is in `type` and goes first.
 * An error that means the device wants a bond says what to do about it.
 */
export function stackErrorText(err: unknown): string {
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    message?: unknown;
    type?: unknown;
    text?: unknown;
  };
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (typeof e.type !== 'string' || !e.type.startsWith('org.')) return message;
  const text = `${e.type}: ${typeof e.text === 'string' ? e.text : message}`;
  const bond =
    BOND_ERRORS.has(e.type) || (e.type === 'org.bluez.Error.NotPermitted' && /not paired/i.test(text));
  return bond
    ? `${text} (the device needs a bond: hddt-gateway pair add ADDRESS --prompt, or bluetoothctl, docs/ble.md)`
    : text;
}

/** Runs fn, logging instead of throwing: for handlers noble calls. */
function guard(log: Logger, what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    log.error({ err }, `BLE ${what} handler failed`);
  }
}

function timed<T>(p: Promise<T>, ms: number, what: string, lost?: Promise<never>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LinkError('timeout', `${what}: no answer within ${ms} ms`)), ms);
  });
  p.catch(() => undefined); // a late rejection after the race is settled is not unhandled
  return Promise.race(lost ? [p, timeout, lost] : [p, timeout]).finally(() => clearTimeout(timer));
}

class NobleLink implements GattLink {
  readonly address: string;
  private up = true;
  private readonly chars = new Map<string, Characteristic>();
  private readonly dataListeners: Array<{ c: Characteristic; l: (...a: unknown[]) => void }> = [];
  private readonly disconnectListeners: Array<(reason: string) => void> = [];
  private readonly lost: Promise<never>;
  private rejectLost!: (e: Error) => void;

  private readonly peripheral: Peripheral;
  private readonly log: Logger;
  private readonly gattTimeoutMs: number;

  constructor(peripheral: Peripheral, log: Logger, gattTimeoutMs: number) {
    this.peripheral = peripheral;
    this.log = log;
    this.gattTimeoutMs = gattTimeoutMs;
    this.address = normalizeAddress(peripheral.address);
    this.lost = new Promise<never>((_, reject) => (this.rejectLost = reject));
    this.lost.catch(() => undefined);
    peripheral.once('disconnect', (reason: unknown) => this.down(String(reason)));
  }

  get connected(): boolean {
    return this.up;
  }

  setCharacteristics(chars: Characteristic[], serviceOf: (c: Characteristic) => string): void {
    for (const c of chars) this.chars.set(`${serviceOf(c)}/${c.uuid}`, c);
  }

  private down(reason: string): void {
    if (!this.up) return;
    this.up = false;
    for (const { c, l } of this.dataListeners) c.removeListener('data', l);
    this.dataListeners.length = 0;
    this.rejectLost(new LinkError('disconnected', `${this.address}: link lost (${reason})`));
    for (const l of this.disconnectListeners) guard(this.log, 'disconnect', () => l(reason));
  }

  private char(service: string, characteristic: string): Characteristic {
    if (!this.up) throw new LinkError('disconnected', `${this.address}: not connected`);
    const c = this.chars.get(`${service}/${characteristic}`);
    if (!c)
      throw new LinkError('missing', `${this.address}: no characteristic ${characteristic} in ${service}`);
    return c;
  }

  private op<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return timed(
        fn().catch((err: unknown) => {
          throw err instanceof LinkError ? err : new LinkError('gatt', `${what}: ${stackErrorText(err)}`);
        }),
        this.gattTimeoutMs,
        `${this.address} ${what}`,
        this.lost,
      );
    } catch (err) {
      return Promise.reject(err);
    }
  }

  has(service: string, characteristic: string): boolean {
    return this.chars.has(`${service}/${characteristic}`);
  }

  read(service: string, characteristic: string): Promise<Buffer> {
    return this.op(`read ${characteristic}`, () => this.char(service, characteristic).readAsync());
  }

  write(service: string, characteristic: string, data: Uint8Array): Promise<void> {
    const buf = Buffer.from(data.buffer, data.byteOffset, data.length);
    return this.op(`write ${characteristic}`, () =>
      this.char(service, characteristic).writeAsync(buf, false),
    );
  }

  subscribe(service: string, characteristic: string, onValue: (value: Buffer) => void): Promise<void> {
    return this.op(`subscribe ${characteristic}`, async () => {
      const c = this.char(service, characteristic);
      const l = (data: unknown, isNotification: unknown) => {
        if (isNotification !== true || !Buffer.isBuffer(data)) return;
        guard(this.log, `${characteristic} value`, () => onValue(data));
      };
      c.on('data', l);
      this.dataListeners.push({ c, l });
      await c.subscribeAsync();
    });
  }

  onDisconnect(listener: (reason: string) => void): void {
    if (!this.up) {
      queueMicrotask(() => guard(this.log, 'disconnect', () => listener('already down')));
      return;
    }
    this.disconnectListeners.push(listener);
  }

  async disconnect(): Promise<void> {
    if (!this.up) return;
    try {
      await timed(this.peripheral.disconnectAsync(), this.gattTimeoutMs, 'disconnect');
    } catch (err) {
      this.log.warn({ err, address: this.address }, 'BLE disconnect did not complete');
    }
    this.down('local disconnect');
  }
}

/** The first two octets of manufacturer data are the company identifier, little-endian. */
function companyIdOf(data: Buffer | undefined | null): { companyId?: number } {
  return data && data.length >= 2 ? { companyId: data.readUInt16LE(0) } : {};
}

export class NobleRadio implements BleRadio {
  private readonly peripherals = new Map<string, Peripheral>();
  private readonly discoverListeners: Array<(adv: Advertisement) => void> = [];

  readonly noble: Noble;
  private readonly log: Logger;
  private readonly gattTimeoutMs: number;
  private readonly driver?: NobleRadioConfig['driver'];

  constructor(noble: Noble, log: Logger, gattTimeoutMs: number, driver?: NobleRadioConfig['driver']) {
    this.noble = noble;
    this.log = log;
    this.gattTimeoutMs = gattTimeoutMs;
    this.driver = driver;
    // noble's default 'warning' listener writes to the console; route warnings to our log instead
    noble.removeAllListeners('warning');
    noble.on('warning', (message: unknown) => log.warn({ message: String(message) }, 'noble warning'));
    noble.on('discover', (p: Peripheral) =>
      guard(log, 'discover', () => {
        this.peripherals.set(p.id, p);
        const adv: Advertisement = {
          id: p.id,
          address: normalizeAddress(p.address),
          ...(p.advertisement?.localName ? { name: p.advertisement.localName } : {}),
          serviceUuids: (p.advertisement?.serviceUuids ?? []).map((u) => u.toLowerCase()),
          rssi: p.rssi,
          connectable: p.connectable !== false,
          ...companyIdOf(p.advertisement?.manufacturerData),
        };
        for (const l of this.discoverListeners) l(adv);
      }),
    );
  }

  static create(cfg: NobleRadioConfig, log: Logger): NobleRadio {
    const { binding, options } = nobleBindingOptions(cfg);
    // noble's binding calls dbus.systemBus(), which reads the address from the environment
    if (cfg.driver === 'dbus')
      process.env.DBUS_SYSTEM_BUS_ADDRESS = plainSocketBusAddress(
        process.env.DBUS_SYSTEM_BUS_ADDRESS ?? 'unix:path=/var/run/dbus/system_bus_socket',
      );
    const noble = withBindings(binding as BindingType, options);
    return new NobleRadio(noble, log, cfg.gattTimeoutMs, cfg.driver);
  }

  get address(): string {
    return this.noble.address;
  }

  async powerOn(timeoutMs: number): Promise<void> {
    try {
      await this.noble.waitForPoweredOnAsync(timeoutMs);
    } finally {
      watchDbusConnection(this.noble, this.log);
    }
  }

  async startScanning(serviceUuids: string[]): Promise<void> {
    // noble starts scanning only when powered on; a radio that is gone is an error the central retries
    if (this.noble.state !== 'poweredOn') throw new LinkError('gatt', `adapter is ${this.noble.state}`);
    await this.stopScanning();
    await timed(this.noble.startScanningAsync(serviceUuids, false), this.gattTimeoutMs, 'scan start');
  }

  /**
   * noble's stopScanningAsync resolves on the controller's answer and never rejects: when the adapter went away
   * (an unplugged dongle, a dead pty, bluetoothd restarting) or answers with an error status it waits forever,
   * which would wedge the central and hang the gateway's stop. Skipped when not powered on, bounded otherwise.
   */
  async stopScanning(): Promise<void> {
    if (this.noble.state !== 'poweredOn') return;
    await timed(this.noble.stopScanningAsync(), this.gattTimeoutMs, 'scan stop').catch((err: unknown) =>
      this.log.warn({ reason: stackErrorText(err) }, 'BLE scan stop not confirmed'),
    );
  }

  onDiscover(listener: (adv: Advertisement) => void): void {
    this.discoverListeners.push(listener);
  }

  async connect(id: string, opts: { timeoutMs: number; services: string[] }): Promise<GattLink> {
    const p = this.peripherals.get(id);
    if (!p) throw new LinkError('missing', `unknown peripheral ${id}`);
    // a link noble still thinks is up; BlueZ may never confirm its end (Disconnect of a device it has not connected)
    if (p.state === 'connected')
      await timed(p.disconnectAsync(), this.gattTimeoutMs, 'disconnect').catch(() => undefined);
    if (this.driver === 'dbus') {
      await timed(refreshDbusDevice(this.noble, p.id), this.gattTimeoutMs, 'Device1').catch((err: unknown) =>
        this.log.warn({ reason: stackErrorText(err), address: p.address }, 'BlueZ Device1 not read'),
      );
    }
    const connecting = p.connectAsync();
    try {
      await timed(connecting, opts.timeoutMs, `connect ${p.address}`);
    } catch (err) {
      p.cancelConnect();
      throw err instanceof LinkError
        ? err
        : new LinkError('gatt', `connect ${p.address}: ${stackErrorText(err)}`);
    }
    const link = new NobleLink(p, this.log, this.gattTimeoutMs);
    try {
      const found = await timed(
        p.discoverSomeServicesAndCharacteristicsAsync(opts.services, []),
        this.gattTimeoutMs * 2,
        `discover ${p.address}`,
      );
      const serviceOf = new Map<Characteristic, string>();
      for (const s of found.services) for (const c of s.characteristics ?? []) serviceOf.set(c, s.uuid);
      link.setCharacteristics(found.characteristics, (c) => serviceOf.get(c) ?? '');
    } catch (err) {
      await link.disconnect();
      throw err instanceof LinkError
        ? err
        : new LinkError('gatt', `discover ${p.address}: ${stackErrorText(err)}`);
    }
    return link;
  }

  async close(): Promise<void> {
    await this.stopScanning();
    for (const p of this.peripherals.values()) {
      if (this.noble.state !== 'poweredOn') break; // nothing to say goodbye over
      if (p.state === 'connected' || p.state === 'connecting') {
        if (p.state === 'connecting') p.cancelConnect();
        else await timed(p.disconnectAsync(), 2000, 'disconnect').catch(() => undefined);
      }
    }
    this.noble.stop();
    keepSerialErrorsQuiet(this.noble);
  }
}

interface DbusBindingInternals {
  _bus?: {
    getProxyObject(
      name: string,
      path: string,
    ): Promise<{ getInterface(name: string): Record<string, (...a: unknown[]) => Promise<unknown>> }>;
  };
  _objects?: Map<string, Record<string, Record<string, unknown>>>;
  _devices?: Map<string, { path?: string }>;
}

/**
 * noble's D-Bus binding (2.8) connects by a shortcut when its cached Device1 says Connected and ServicesResolved:
 * it reports the connection without asking BlueZ. That cache follows PropertiesChanged only while a scan watches
 * the device, and not in the gap while a scan restarts (the watcher is attached after an introspection round
 * trip), so a link that went down unseen still looks up and noble reports a connection BlueZ does not have: every
 * GATT call then fails "Not connected", and the disconnect never completes. Reading Device1 from BlueZ right
 * before each connect makes the shortcut true again. Reaches into noble's internals: there is no public handle.
 */
async function refreshDbusDevice(noble: Noble, id: string): Promise<void> {
  const b = (noble as unknown as { _bindings?: DbusBindingInternals })._bindings;
  const path = b?._devices?.get(id)?.path;
  if (!b?._bus || !b._objects || !path) return;
  const proxy = await b._bus.getProxyObject('org.bluez', path);
  const fresh = (await proxy
    .getInterface('org.freedesktop.DBus.Properties')
    .GetAll('org.bluez.Device1')) as Record<string, { value: unknown }>;
  const cached = b._objects.get(path) ?? {};
  const device1 = (cached['org.bluez.Device1'] ??= {});
  for (const k of ['Connected', 'ServicesResolved']) device1[k] = fresh[k]?.value === true;
  b._objects.set(path, cached);
}

/**
 * noble's D-Bus binding opens the system bus with dbus-next and never listens for its 'error' event, which
 * dbus-next emits when the connection breaks (dbus-daemon or bluetoothd restarted) or a call goes out after it
 * closed: unheard, Node throws it and the gateway dies. A listener turns it into a log line. Internals again.
 */
function watchDbusConnection(noble: Noble, log: Logger): void {
  const bus = (noble as unknown as { _bindings?: { _bus?: NodeJS.EventEmitter } })._bindings?._bus;
  if (!bus || bus.listenerCount('error') > 0) return;
  bus.on('error', (err: unknown) =>
    log.warn({ reason: stackErrorText(err) }, 'BlueZ D-Bus connection error'),
  );
}

/**
 * noble's UART socket removes every listener from its serial port on stop() and closes it without waiting for a
 * write in flight (its own stop queues scan-off and disconnect commands), so that write fails with EBADF on a port
 * nobody listens to and Node throws it as an uncaught exception. A no-op listener on the stopped port absorbs it.
 * Reaches into noble's internals: there is no public handle to the port.
 */
function keepSerialErrorsQuiet(noble: Noble): void {
  const internals = noble as unknown as {
    _bindings?: { _hci?: { _socket?: { _serialDevice?: { on(event: 'error', fn: () => void): void } } } };
  };
  internals._bindings?._hci?._socket?._serialDevice?.on('error', () => undefined);
}
