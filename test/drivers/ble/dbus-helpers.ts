// Test rig for the BLE driver's BlueZ path (ble.driver = "dbus"): a private dbus-daemon, the fake BlueZ
// (firmware-bridge/bluez) owning org.bluez on it, the gateway's BleCentral on the real noble D-Bus binding
// (real dbus-next, DBUS_SYSTEM_BUS_ADDRESS pointing at the private bus), and a real SQLite store in a temp dir.
// close() stops everything, the daemon included; a daemon left by a crashed test dies with the process.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BleConfig } from '../../../config/types.ts';
import type { BleCentral } from '../../../drivers/ble/central.ts';
import { NobleRadio } from '../../../drivers/ble/noble-transport.ts';
import {
  FakeBluez,
  startPrivateBus,
  type FakeBluezOptions,
  type PrivateBus,
} from '../../../firmware-bridge/bluez/index.ts';
import { countReadings } from '../../../gateway/store/readings.ts';
import { openStore, type Store } from '../../../gateway/store/store.ts';
import { collectLogs, stateFiles, testBleConfig, testCentral, type LogLine } from './helpers.ts';

export interface BluezRig {
  bus: PrivateBus;
  bluez: FakeBluez;
  store: Store;
  central: BleCentral;
  radio: NobleRadio;
  config: BleConfig;
  logs: LogLine[];
  count(deviceKey?: string): number;
  close(): Promise<void>;
}

export interface BluezRigOptions {
  ble?: Partial<BleConfig>;
  bluez?: Omit<FakeBluezOptions, 'busAddress'>;
  /** Runs once the fake BlueZ is on the bus, before the central starts (add simulators here). */
  setup?(bluez: FakeBluez): void | Promise<void>;
}

export async function startBluezRig(opts: BluezRigOptions = {}): Promise<BluezRig> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-bluez-test-'));
  const stack: Array<() => Promise<void> | void> = [() => fs.rmSync(dir, { recursive: true, force: true })];
  const unwind = async () => {
    for (const step of stack.splice(0).reverse()) await step();
  };
  try {
    const bus = await startPrivateBus();
    stack.push(() => bus.close());
    const bluez = await FakeBluez.start({ ...opts.bluez, busAddress: bus.address });
    stack.push(() => bluez.close());
    const store = openStore({ path: path.join(dir, 'store.sqlite') });
    stack.push(() => store.close());
    const { logs, log } = collectLogs();
    const ble = testBleConfig({ driver: 'dbus', hciDeviceId: 0, ...stateFiles(dir) }, opts.ble);
    await opts.setup?.(bluez);
    // noble's binding connects with dbus.systemBus(), which reads the address when it starts
    const previous = process.env.DBUS_SYSTEM_BUS_ADDRESS;
    process.env.DBUS_SYSTEM_BUS_ADDRESS = bus.address;
    stack.push(() => {
      if (previous === undefined) delete process.env.DBUS_SYSTEM_BUS_ADDRESS;
      else process.env.DBUS_SYSTEM_BUS_ADDRESS = previous;
    });
    const radio = NobleRadio.create(ble, log);
    const central = testCentral(radio, store, ble, log);
    stack.push(() => central.stop());
    await central.start(5000);
    return {
      bus,
      bluez,
      store,
      central,
      radio,
      config: ble,
      logs,
      count: (key) => countReadings(store, key),
      close: unwind,
    };
  } catch (e) {
    await unwind();
    throw e;
  }
}
