// The GATT objects of a connected device, at bluetoothd's paths (GattService1, GattCharacteristic1,
// GattDescriptor1), and what their methods do: each is an ATT request on the device's link, ATT errors come
// back as BlueZ's D-Bus errors, and a device that wants a bond refuses what is not open without one.
import dbus from 'dbus-next';
import { AttError } from '../hci/att.ts';
import { hasProperty, type CharacteristicRecord, type ServiceRecord } from '../hci/gatt-db.ts';
import { AttRequestError } from './att-client.ts';
import type { BluezMethod } from './call-log.ts';
import type { DbusInterface, DeviceEntry, ExportedChar, Link } from './device.ts';
import { attToDbusError, bluezError, BluezError } from './errors.ts';
import {
  changed,
  GattCharacteristic1,
  GattDescriptor1,
  GattService1,
  type VariantDict,
} from './interfaces.ts';
import { bluezUuid, characteristicPath, descriptorPath, flagsOf, servicePath } from './naming.ts';

/** What the GATT objects need of the fake BlueZ. */
export interface GattHost {
  /** records the call and throws an error injected for it, if any */
  check(d: DeviceEntry, method: BluezMethod, uuid?: string): void;
  exportObject(path: string, iface: DbusInterface): void;
  unexportObject(path: string, iface: DbusInterface): void;
}

/** GAP and GATT are claimed by bluetoothd's own plugins and not exported (Device Information is). */
const HIDDEN_SERVICES = new Set(['1800', '1801']);
/** services a meter serves without a bond (the ones real meters leave open) */
const OPEN_SERVICES = new Set(['1800', '1801', '180a']);

type GattObject = { path: string; iface: DbusInterface };

export class GattObjects {
  private readonly host: GattHost;

  constructor(host: GattHost) {
    this.host = host;
  }

  /** Exports the objects of the peripheral's database (once) and adds its services to Device1.UUIDs. */
  export(d: DeviceEntry): void {
    if (d.gattObjects.length > 0) return;
    const db = d.peripheral.gatt;
    for (const s of db.services) {
      if (HIDDEN_SERVICES.has(s.uuid.key)) continue;
      for (const o of this.serviceObjects(d, s)) {
        d.gattObjects.push(o);
        this.host.exportObject(o.path, o.iface);
      }
    }
    const uuids = new Set(d.iface.s.uuids);
    for (const s of db.services) if (!HIDDEN_SERVICES.has(s.uuid.key)) uuids.add(bluezUuid(s.uuid.key));
    if (uuids.size !== d.iface.s.uuids.length) {
      d.iface.s.uuids = [...uuids];
      changed(d.iface, { UUIDs: d.iface.s.uuids });
    }
  }

  unexport(d: DeviceEntry): void {
    for (const o of [...d.gattObjects].reverse()) this.host.unexportObject(o.path, o.iface);
    d.gattObjects = [];
    d.chars.clear();
  }

  /** A notification or (already confirmed) indication: PropertiesChanged of Value. */
  onValue(d: DeviceEntry, handle: number, value: Buffer): void {
    const c = d.chars.get(handle);
    if (!c || !c.iface.s.notifying) return;
    c.iface.s.value = value;
    changed(c.iface, { Value: value });
  }

  /** The service, then each characteristic followed by its descriptors. */
  private serviceObjects(d: DeviceEntry, s: ServiceRecord): GattObject[] {
    const sPath = servicePath(d.path, s.start);
    const objects: GattObject[] = [
      { path: sPath, iface: new GattService1(bluezUuid(s.uuid.key), d.path, s.start) },
    ];
    for (const c of d.peripheral.gatt.characteristics) {
      if (c.declHandle < s.start || c.declHandle > s.end) continue;
      const exported = this.characteristic(d, s.uuid.key, c, sPath);
      d.chars.set(c.valueHandle, exported);
      objects.push({ path: exported.path, iface: exported.iface }, ...this.descriptors(d, c, exported.path));
    }
    return objects;
  }

  private characteristic(
    d: DeviceEntry,
    serviceKey: string,
    c: CharacteristicRecord,
    sPath: string,
  ): ExportedChar {
    const state = {
      uuid: bluezUuid(c.uuid.key),
      service: sPath,
      flags: flagsOf(c),
      value: Buffer.alloc(0) as Buffer,
      notifying: false,
      mtu: d.link?.client.mtu ?? 23,
    };
    const iface: GattCharacteristic1 = new GattCharacteristic1(state, {
      readValue: () => this.readValue(d, serviceKey, c, iface),
      writeValue: (v, o) => this.writeValue(d, serviceKey, c, v, o),
      startNotify: () => this.setNotify(d, exported, true),
      stopNotify: () => this.setNotify(d, exported, false),
    });
    const exported: ExportedChar = {
      path: characteristicPath(sPath, c.declHandle),
      record: c,
      serviceKey,
      iface,
    };
    return exported;
  }

  private descriptors(d: DeviceEntry, c: CharacteristicRecord, cPath: string): GattObject[] {
    const objects: GattObject[] = [];
    for (let h = c.valueHandle + 1; h <= c.endHandle; h++) {
      const a = d.peripheral.gatt.get(h);
      if (!a) continue;
      const isCccd = a.kind === 'cccd';
      const state = {
        uuid: bluezUuid(a.type.key),
        characteristic: cPath,
        flags: isCccd || (a.kind === 'descriptor' && a.writable) ? ['read', 'write'] : ['read'],
        value: Buffer.alloc(0) as Buffer,
      };
      const iface = new GattDescriptor1(state, {
        readValue: async () => {
          this.host.check(d, 'ReadValue', c.uuid.key);
          state.value = await this.att(d, (l) => l.client.read(h));
          return state.value;
        },
        writeValue: async (v) => {
          this.host.check(d, 'WriteValue', c.uuid.key);
          // BlueZ keeps the CCCD to itself: clients use StartNotify
          if (isCccd) throw bluezError(BluezError.notPermitted, 'Write not permitted');
          await this.att(d, (l) => l.client.write(h, v));
        },
      });
      objects.push({ path: descriptorPath(cPath, h), iface });
    }
    return objects;
  }

  /** Runs an ATT operation on the current link; ATT errors become BlueZ's D-Bus errors. */
  private async att<T>(d: DeviceEntry, op: (l: Link) => Promise<T>): Promise<T> {
    const link = d.link;
    if (!link || !d.iface.s.servicesResolved) throw bluezError(BluezError.failed, 'Not connected');
    try {
      return await op(link);
    } catch (e) {
      if (e instanceof AttRequestError) throw attToDbusError(e.attCode);
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
    c: CharacteristicRecord,
    iface: GattCharacteristic1,
  ): Promise<Buffer> {
    this.host.check(d, 'ReadValue', c.uuid.key);
    const value = await this.att(d, async (l) => {
      this.checkBond(d, serviceKey);
      return l.client.read(c.valueHandle);
    });
    // BlueZ caches what it read and says so (also to clients that are notified of this characteristic)
    iface.s.value = value;
    changed(iface, { Value: value });
    return value;
  }

  private async writeValue(
    d: DeviceEntry,
    serviceKey: string,
    c: CharacteristicRecord,
    value: Buffer,
    options: VariantDict,
  ): Promise<void> {
    this.host.check(d, 'WriteValue', c.uuid.key);
    const type = options.type?.value as string | undefined;
    await this.att(d, async (l) => {
      this.checkBond(d, serviceKey);
      if (type === 'command') l.client.writeWithoutResponse(c.valueHandle, value);
      else await l.client.write(c.valueHandle, value);
    });
  }

  /** StartNotify/StopNotify: BlueZ writes the CCCD (notifications when offered, else indications). */
  private async setNotify(d: DeviceEntry, c: ExportedChar, on: boolean): Promise<void> {
    this.host.check(d, on ? 'StartNotify' : 'StopNotify', c.record.uuid.key);
    const rec = c.record;
    if (on && !hasProperty(rec, 'notify') && !hasProperty(rec, 'indicate'))
      throw bluezError(BluezError.notSupported, 'Operation is not supported');
    if (c.iface.s.notifying === on) return;
    if (rec.cccdHandle === null) return;
    const cccd = rec.cccdHandle;
    const bits = !on ? 0 : hasProperty(rec, 'notify') ? 0x0001 : 0x0002;
    await this.att(d, async (l) => {
      this.checkBond(d, c.serviceKey);
      await l.client.write(cccd, Buffer.from([bits, 0]));
    });
    c.iface.s.notifying = on;
    changed(c.iface, { Notifying: on });
  }
}
