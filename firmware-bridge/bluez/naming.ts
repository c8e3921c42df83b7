// How bluetoothd spells what it exports: 128-bit lower-case UUIDs, object paths (dev_XX_XX…, service%04x,
// char%04x, desc%04x), and characteristic flags.
import { hasProperty, type CharacteristicRecord } from '../hci/gatt-db.ts';

const BASE_UUID_SUFFIX = '-0000-1000-8000-00805f9b34fb';

/** BlueZ's 128-bit lower-case spelling of a noble-style UUID key. */
export function bluezUuid(key: string): string {
  if (key.length <= 4) return `0000${key.padStart(4, '0')}${BASE_UUID_SUFFIX}`;
  if (key.length === 8) return `${key}${BASE_UUID_SUFFIX}`;
  return `${key.slice(0, 8)}-${key.slice(8, 12)}-${key.slice(12, 16)}-${key.slice(16, 20)}-${key.slice(20)}`;
}

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

export const devicePath = (adapterPath: string, address: string): string =>
  `${adapterPath}/dev_${address.toUpperCase().replace(/:/g, '_')}`;
export const servicePath = (devicePath: string, handle: number): string =>
  `${devicePath}/service${hex4(handle)}`;
export const characteristicPath = (servicePath: string, handle: number): string =>
  `${servicePath}/char${hex4(handle)}`;
export const descriptorPath = (charPath: string, handle: number): string => `${charPath}/desc${hex4(handle)}`;

const FLAGS: ReadonlyArray<[Parameters<typeof hasProperty>[1], string]> = [
  ['broadcast', 'broadcast'],
  ['read', 'read'],
  ['writeWithoutResponse', 'write-without-response'],
  ['write', 'write'],
  ['notify', 'notify'],
  ['indicate', 'indicate'],
];

/** GattCharacteristic1.Flags of a characteristic. */
export function flagsOf(c: CharacteristicRecord): string[] {
  return FLAGS.filter(([p]) => hasProperty(c, p)).map(([, flag]) => flag);
}
