// Bonding through BlueZ (ble.driver "dbus"): the gateway registers an org.bluez.Agent1 (capability
// KeyboardDisplay: Just Works, passkey entry, numeric comparison) with dbus-next, finds the device (discovery
// until it appears), calls Device1.Pair and marks it Trusted, then unregisters. `unpair` is Adapter1.RemoveDevice.
// What the meter shows (its passkey) comes from the operator: a number given up front or a prompt.
import dbus from 'dbus-next';
import { GatewayError } from '../../lib/errors.ts';
import { plainSocketBusAddress } from './dbus-address.ts';
import { normalizeAddress } from './uuids.ts';

const AGENT_PATH = '/org/hddt/agent';
const DEFAULT_SYSTEM_BUS = 'unix:path=/var/run/dbus/system_bus_socket';

export class PairingError extends GatewayError {
  constructor(message: string) {
    super('ERR_BLE_NEEDS_BOND', message);
  }
}

export interface PairingPrompts {
  /** Passkey entry: the six digits the meter shows. */
  passkey(device: string): Promise<number>;
  /** Numeric comparison: does the meter show this number? */
  confirm(device: string, passkey: number): Promise<boolean>;
}

export interface BluezTarget {
  address: string;
  /** hciN */
  adapterIndex: number;
  /** default: DBUS_SYSTEM_BUS_ADDRESS or the standard system bus socket */
  busAddress?: string;
}

type DbusMessage = InstanceType<typeof dbus.Message>;

/** The Agent1 object bluetoothd calls back during Pair. */
class PairingAgent extends dbus.interface.Interface {
  private readonly prompts: PairingPrompts;
  constructor(prompts: PairingPrompts) {
    super('org.bluez.Agent1');
    this.prompts = prompts;
  }
  Release(): void {}
  async RequestPasskey(device: string): Promise<number> {
    const n = await this.prompts.passkey(device);
    if (!Number.isInteger(n) || n < 0 || n > 999_999)
      throw new dbus.DBusError('org.bluez.Error.Rejected', 'no passkey');
    return n;
  }
  DisplayPasskey(): void {}
  async RequestConfirmation(device: string, passkey: number): Promise<void> {
    if (!(await this.prompts.confirm(device, passkey)))
      throw new dbus.DBusError('org.bluez.Error.Rejected', 'the numbers differ');
  }
  RequestAuthorization(): void {}
  AuthorizeService(): void {}
  RequestPinCode(): string {
    throw new dbus.DBusError('org.bluez.Error.Rejected', 'PIN codes are for BR/EDR, not a BLE meter');
  }
  DisplayPinCode(): void {}
  Cancel(): void {}
}
PairingAgent.configureMembers({
  methods: {
    Release: {},
    RequestPasskey: { inSignature: 'o', outSignature: 'u' },
    DisplayPasskey: { inSignature: 'ouq' },
    RequestConfirmation: { inSignature: 'ou' },
    RequestAuthorization: { inSignature: 'o' },
    AuthorizeService: { inSignature: 'os' },
    RequestPinCode: { inSignature: 'o', outSignature: 's' },
    DisplayPinCode: { inSignature: 'os' },
    Cancel: {},
  },
});

function openBus(t: BluezTarget): dbus.MessageBus {
  const address = t.busAddress ?? process.env.DBUS_SYSTEM_BUS_ADDRESS ?? DEFAULT_SYSTEM_BUS;
  return dbus.sessionBus({ busAddress: plainSocketBusAddress(address) });
}

function call(
  bus: dbus.MessageBus,
  path: string,
  iface: string,
  member: string,
  signature = '',
  body: unknown[] = [],
) {
  return bus.call(
    new dbus.Message({ destination: 'org.bluez', path, interface: iface, member, signature, body }),
  );
}

const devicePathOf = (t: BluezTarget) =>
  `/org/bluez/hci${t.adapterIndex}/dev_${normalizeAddress(t.address).toUpperCase().replace(/:/g, '_')}`;

async function deviceKnown(bus: dbus.MessageBus, path: string): Promise<boolean> {
  const reply = (await call(
    bus,
    '/',
    'org.freedesktop.DBus.ObjectManager',
    'GetManagedObjects',
  )) as DbusMessage;
  const tree = (reply.body[0] ?? {}) as Record<string, Record<string, unknown>>;
  return Boolean(tree[path]?.['org.bluez.Device1']);
}

/** Discovery until BlueZ has the device object (it must advertise: the meter in pairing mode). */
async function findDevice(bus: dbus.MessageBus, t: BluezTarget, timeoutMs: number): Promise<string> {
  const path = devicePathOf(t);
  if (await deviceKnown(bus, path)) return path;
  const adapter = `/org/bluez/hci${t.adapterIndex}`;
  await call(bus, adapter, 'org.bluez.Adapter1', 'StartDiscovery').catch(() => undefined);
  try {
    const until = Date.now() + timeoutMs;
    while (!(await deviceKnown(bus, path))) {
      if (Date.now() > until)
        throw new PairingError(
          `${t.address} did not advertise within ${timeoutMs} ms (is the meter in pairing mode?)`,
        );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return path;
  } finally {
    await call(bus, adapter, 'org.bluez.Adapter1', 'StopDiscovery').catch(() => undefined);
  }
}

const textOf = (err: unknown) => {
  const e = err as { type?: string; text?: string; message?: string };
  return e.type ? `${e.type}: ${e.text ?? e.message ?? ''}` : String(e.message ?? err);
};

/** Pairs (bonds) and trusts the device through BlueZ; rejects with a PairingError naming BlueZ's answer. */
export async function bluezPair(t: BluezTarget, prompts: PairingPrompts, discoverMs = 30_000): Promise<void> {
  const bus = openBus(t);
  bus.on('error', () => undefined);
  const agent = new PairingAgent(prompts);
  bus.export(AGENT_PATH, agent);
  try {
    await call(bus, '/org/bluez', 'org.bluez.AgentManager1', 'RegisterAgent', 'os', [
      AGENT_PATH,
      'KeyboardDisplay',
    ]);
    await call(bus, '/org/bluez', 'org.bluez.AgentManager1', 'RequestDefaultAgent', 'o', [AGENT_PATH]);
    const path = await findDevice(bus, t, discoverMs);
    try {
      await call(bus, path, 'org.bluez.Device1', 'Pair');
    } catch (err) {
      if ((err as { type?: string }).type !== 'org.bluez.Error.AlreadyExists')
        throw new PairingError(`pairing ${t.address} failed: ${textOf(err)}`);
    }
    await call(bus, path, 'org.freedesktop.DBus.Properties', 'Set', 'ssv', [
      'org.bluez.Device1',
      'Trusted',
      new dbus.Variant('b', true),
    ]);
  } finally {
    await call(bus, '/org/bluez', 'org.bluez.AgentManager1', 'UnregisterAgent', 'o', [AGENT_PATH]).catch(
      () => undefined,
    );
    bus.unexport(AGENT_PATH, agent);
    bus.disconnect();
  }
}

/** Adapter1.RemoveDevice: BlueZ forgets the bond; false when it did not know the device. */
export async function bluezUnpair(t: BluezTarget): Promise<boolean> {
  const bus = openBus(t);
  bus.on('error', () => undefined);
  try {
    const path = devicePathOf(t);
    if (!(await deviceKnown(bus, path))) return false;
    await call(bus, `/org/bluez/hci${t.adapterIndex}`, 'org.bluez.Adapter1', 'RemoveDevice', 'o', [path]);
    return true;
  } finally {
    bus.disconnect();
  }
}
