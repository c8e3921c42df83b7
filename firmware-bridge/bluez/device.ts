// One device of the fake BlueZ: the simulated peripheral, its Device1 object and state, the link while
// connected (the peripheral's AttServer and the ATT client bluetoothd would run), and its exported GATT
// objects.
import type dbus from 'dbus-next';
import type { AttServer } from '../hci/att-server.ts';
import type { CharacteristicRecord } from '../hci/gatt-db.ts';
import { uuidFromBytes } from '../hci/uuid.ts';
import type { VirtualPeripheral } from '../hci/peripheral.ts';
import type { PairingMethod } from './agents.ts';
import type { AttClient } from './att-client.ts';
import { Device1, type DeviceBackend, type GattCharacteristic1 } from './interfaces.ts';
import { bluezUuid, devicePath } from './naming.ts';

export type DbusInterface = InstanceType<typeof dbus.interface.Interface>;

export interface Link {
  handle: number;
  att: AttServer;
  client: AttClient;
}

export interface ExportedChar {
  path: string;
  record: CharacteristicRecord;
  serviceKey: string;
  iface: GattCharacteristic1;
}

export class DeviceEntry {
  readonly peripheral: VirtualPeripheral;
  readonly path: string;
  readonly iface: Device1;
  exported = false;
  link: Link | null = null;
  connecting = false;
  /** Disconnect called while a Connect waits for the device: the attempt is cancelled */
  cancelConnect = false;
  requireBonding = false;
  /** how Device1.Pair authenticates (agents.ts) */
  pairing: PairingMethod = { kind: 'just-works' };
  /** the device forgot the bond (reset, paired with a phone) while BlueZ still holds its keys */
  bondLost = false;
  /** path → interface, children after parents */
  gattObjects: Array<{ path: string; iface: DbusInterface }> = [];
  /** the exported characteristics by value handle */
  readonly chars = new Map<number, ExportedChar>();

  constructor(peripheral: VirtualPeripheral, adapterPath: string, backend: DeviceBackend) {
    this.peripheral = peripheral;
    this.path = devicePath(adapterPath, peripheral.address);
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
      backend,
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
