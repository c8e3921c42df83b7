// The capture file of `hddt-gateway ble capture` (format "hddt-ble-capture/1"): what a real glucose meter or CGM
// advertised, every characteristic discovered with the value read, and every exchange (read, write, notification,
// indication) with its time in ms since the capture started, as lower-case hex. It holds the patient's readings.
// parseCapture() checks a file and names the field that is wrong; capturedRecords() gives the device's records
// as they went over the air (what the simulator replays, firmware-bridge/peripherals/capture-scenario.ts).
import { GatewayError } from '../../lib/errors.ts';
import { CHAR, SERVICE } from './uuids.ts';

export const CAPTURE_FORMAT = 'hddt-ble-capture/1';

export class CaptureError extends GatewayError {
  readonly problems: readonly string[];

  constructor(message: string, problems: readonly string[] = [message]) {
    super('ERR_BLE_CAPTURE', message);
    this.problems = problems;
  }
}

export type ExchangeDir = 'read' | 'write' | 'notify' | 'indicate';
export const EXCHANGE_DIRS: readonly ExchangeDir[] = ['read', 'write', 'notify', 'indicate'];

export interface CaptureExchange {
  /** ms since the capture started */
  t: number;
  dir: ExchangeDir;
  service: string;
  characteristic: string;
  hex: string;
}

export interface CaptureCharacteristic {
  service: string;
  characteristic: string;
  /** as the stack reports them: read, write, writeWithoutResponse, notify, indicate, ... */
  properties: string[];
  /** the value read during the capture (readable characteristics) */
  value?: string;
  /** why it could not be read */
  error?: string;
}

export interface CaptureDevice {
  address: string;
  addressType: string | null;
  name: string | null;
  rssi: number;
  family: 'glucose' | 'cgm';
  mtu: number | null;
  advertisement: {
    serviceUuids: string[];
    /** company identifier first (little-endian), as advertised */
    manufacturerData: string | null;
    serviceData: { uuid: string; hex: string }[];
    txPowerLevel: number | null;
    connectable: boolean;
  };
}

export interface BleCapture {
  format: typeof CAPTURE_FORMAT;
  /** when the capture started (ISO instant); exchange times count from here */
  capturedAt: string;
  /** the hub's zone, for reading the meter's wall clock against it */
  hub: { timeZone: string; utcOffsetMinutes: number };
  device: CaptureDevice;
  gatt: CaptureCharacteristic[];
  exchanges: CaptureExchange[];
  /** what went wrong or was noticed (a read refused, RACP silent, the device hung up) */
  notes: string[];
}

/** The capture as text: the head pretty-printed, one line per characteristic and per exchange. */
export function formatCapture(c: BleCapture): string {
  const { gatt, exchanges, ...head } = c;
  const list = (items: readonly unknown[]) =>
    items.length === 0 ? '[]' : `[\n${items.map((i) => `    ${JSON.stringify(i)}`).join(',\n')}\n  ]`;
  const top = JSON.stringify(head, null, 2);
  return `${top.slice(0, -2)},\n  "gatt": ${list(gatt)},\n  "exchanges": ${list(exchanges)}\n}\n`;
}

/** A parsed JSON document that says it is a capture (any version): the scenario loader hands it here. */
export function looksLikeCapture(doc: unknown): boolean {
  const format = (doc as { format?: unknown } | null)?.format;
  return typeof format === 'string' && format.startsWith('hddt-ble-capture/');
}

const HEX = /^([0-9a-fA-F]{2})*$/;
const UUID = /^([0-9a-f]{4}|[0-9a-f]{8}|[0-9a-f]{32})$/;
const ADDRESS = /^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/;
const MAX_LISTED = 20;

type Json = Record<string, unknown>;

/** Collects "capture field 'x' ..." lines. */
class Check {
  readonly problems: string[] = [];

  bad(field: string, value: unknown, expected: string): void {
    this.problems.push(
      value === undefined
        ? `capture field '${field}' is required`
        : `capture field '${field}' has value ${JSON.stringify(value)}: expected ${expected}`,
    );
  }

  object(v: unknown, field: string): Json | null {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Json;
    this.bad(field, v, 'an object');
    return null;
  }

  array(v: unknown, field: string): unknown[] {
    if (Array.isArray(v)) return v;
    this.bad(field, v, 'an array');
    return [];
  }

  text(v: unknown, field: string, pattern?: RegExp, expected = 'a string'): void {
    if (typeof v !== 'string' || (pattern && !pattern.test(v))) this.bad(field, v, expected);
  }

  textOrNull(v: unknown, field: string, pattern?: RegExp, expected = 'a string or null'): void {
    if (v !== null) this.text(v, field, pattern, expected);
  }

  number(v: unknown, field: string, min = -Infinity, integer = false): void {
    const ok = typeof v === 'number' && Number.isFinite(v) && v >= min && (!integer || Number.isInteger(v));
    if (!ok)
      this.bad(field, v, `a${integer ? 'n integer' : ' number'}${min > -Infinity ? ` >= ${min}` : ''}`);
  }

  hex(v: unknown, field: string): void {
    this.text(v, field, HEX, 'hex octets such as "0a1b"');
  }

  uuid(v: unknown, field: string): void {
    this.text(v, field, UUID, 'a lower-case UUID as noble spells it ("2a18", 32 digits for 128-bit)');
  }
}

function checkDevice(k: Check, v: unknown): void {
  const d = k.object(v, 'device');
  if (!d) return;
  k.text(d.address, 'device.address', ADDRESS, 'a Bluetooth address aa:bb:cc:dd:ee:ff');
  k.textOrNull(d.addressType, 'device.addressType');
  k.textOrNull(d.name, 'device.name');
  k.number(d.rssi, 'device.rssi');
  if (d.family !== 'glucose' && d.family !== 'cgm')
    k.bad('device.family', d.family, 'one of ["glucose","cgm"]');
  if (d.mtu !== null) k.number(d.mtu, 'device.mtu', 23, true);
  const a = k.object(d.advertisement, 'device.advertisement');
  if (!a) return;
  k.array(a.serviceUuids, 'device.advertisement.serviceUuids').forEach((u, i) =>
    k.uuid(u, `device.advertisement.serviceUuids[${i}]`),
  );
  k.textOrNull(a.manufacturerData, 'device.advertisement.manufacturerData', HEX, 'hex octets or null');
  k.array(a.serviceData, 'device.advertisement.serviceData').forEach((s, i) => {
    const o = k.object(s, `device.advertisement.serviceData[${i}]`);
    if (!o) return;
    k.uuid(o.uuid, `device.advertisement.serviceData[${i}].uuid`);
    k.hex(o.hex, `device.advertisement.serviceData[${i}].hex`);
  });
  if (a.txPowerLevel !== null) k.number(a.txPowerLevel, 'device.advertisement.txPowerLevel');
  if (typeof a.connectable !== 'boolean')
    k.bad('device.advertisement.connectable', a.connectable, 'true or false');
}

function checkGatt(k: Check, v: unknown): void {
  k.array(v, 'gatt').forEach((item, i) => {
    const at = `gatt[${i}]`;
    const g = k.object(item, at);
    if (!g) return;
    k.uuid(g.service, `${at}.service`);
    k.uuid(g.characteristic, `${at}.characteristic`);
    k.array(g.properties, `${at}.properties`).forEach((p, j) => k.text(p, `${at}.properties[${j}]`));
    if (g.value !== undefined) k.hex(g.value, `${at}.value`);
    if (g.error !== undefined) k.text(g.error, `${at}.error`);
  });
}

function checkExchanges(k: Check, v: unknown): void {
  k.array(v, 'exchanges').forEach((item, i) => {
    const at = `exchanges[${i}]`;
    const e = k.object(item, at);
    if (!e) return;
    k.number(e.t, `${at}.t`, 0);
    if (!EXCHANGE_DIRS.includes(e.dir as ExchangeDir))
      k.bad(`${at}.dir`, e.dir, `one of ${JSON.stringify(EXCHANGE_DIRS)}`);
    k.uuid(e.service, `${at}.service`);
    k.uuid(e.characteristic, `${at}.characteristic`);
    k.hex(e.hex, `${at}.hex`);
  });
}

/** Checks a parsed capture document; throws CaptureError listing every problem (the first 20) by field. */
export function parseCapture(doc: unknown, source = 'capture'): BleCapture {
  const k = new Check();
  const c = k.object(doc, '(top level)');
  if (c) {
    if (c.format !== CAPTURE_FORMAT) k.bad('format', c.format, JSON.stringify(CAPTURE_FORMAT));
    if (typeof c.capturedAt !== 'string' || Number.isNaN(Date.parse(c.capturedAt)))
      k.bad('capturedAt', c.capturedAt, 'an ISO instant such as 2025-03-01T07:00:00.000Z');
    const hub = k.object(c.hub, 'hub');
    if (hub) {
      k.text(hub.timeZone, 'hub.timeZone');
      k.number(hub.utcOffsetMinutes, 'hub.utcOffsetMinutes', -720, true);
    }
    checkDevice(k, c.device);
    checkGatt(k, c.gatt);
    checkExchanges(k, c.exchanges);
    k.array(c.notes, 'notes').forEach((n, i) => k.text(n, `notes[${i}]`));
  }
  const problems = k.problems;
  if (problems.length > 0) {
    const listed = problems.slice(0, MAX_LISTED);
    if (problems.length > MAX_LISTED) listed.push(`... and ${problems.length - MAX_LISTED} more`);
    throw new CaptureError(`${source}: ${listed.join('\n')}`, listed);
  }
  return doc as BleCapture;
}

/** The value read from a characteristic during the capture, and when; null when it was not read. */
export function capturedValue(
  c: BleCapture,
  service: string,
  characteristic: string,
): { bytes: Buffer; t: number; field: string } | null {
  const i = c.gatt.findIndex(
    (g) => g.service === service && g.characteristic === characteristic && g.value !== undefined,
  );
  if (i < 0) return null;
  const read = c.exchanges.find(
    (e) => e.dir === 'read' && e.service === service && e.characteristic === characteristic,
  );
  return { bytes: Buffer.from(c.gatt[i].value as string, 'hex'), t: read?.t ?? 0, field: `gatt[${i}].value` };
}

export interface CapturedGlucoseRecord {
  measurement: string;
  context?: string;
}

export type CapturedRecords =
  { family: 'glucose'; records: CapturedGlucoseRecord[] } | { family: 'cgm'; records: string[] };

/** A GLS measurement or context: sequence number in octets 1–2 (after the flags). */
const sequenceOf = (hex: string): number | null =>
  hex.length >= 6 ? Buffer.from(hex.slice(2, 6), 'hex').readUInt16LE(0) : null;

function glucoseRecords(c: BleCapture): CapturedGlucoseRecord[] {
  const out: CapturedGlucoseRecord[] = [];
  const seen = new Set<number>();
  let last: CapturedGlucoseRecord | null = null;
  for (const e of c.exchanges) {
    if (e.service !== SERVICE.glucose || e.dir === 'read' || e.dir === 'write') continue;
    if (e.characteristic === CHAR.glucoseMeasurement) {
      const seq = sequenceOf(e.hex);
      last = null;
      if (seq === null || seen.has(seq)) continue; // a record sent twice (a repeated report) is one record
      seen.add(seq);
      last = { measurement: e.hex };
      out.push(last);
    } else if (e.characteristic === CHAR.glucoseContext && last && !last.context) {
      if (sequenceOf(e.hex) === sequenceOf(last.measurement)) last.context = e.hex;
    }
  }
  return out;
}

/** CGM Measurement notifications split into their records (each starts with its Size octet), once each. */
function cgmRecords(c: BleCapture): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const e of c.exchanges) {
    if (e.service !== SERVICE.cgm || e.characteristic !== CHAR.cgmMeasurement || e.dir === 'read') continue;
    if (e.dir === 'write') continue;
    const bytes = Buffer.from(e.hex, 'hex');
    for (let at = 0; at < bytes.length;) {
      const size = bytes[at];
      const record = bytes.subarray(at, size >= 6 ? at + size : bytes.length).toString('hex');
      at = size >= 6 ? at + size : bytes.length;
      if (seen.has(record)) continue;
      seen.add(record);
      out.push(record);
    }
  }
  return out;
}

/** The records the device sent (RACP transfer and live), as raw hex, in the order they came. */
export function capturedRecords(c: BleCapture): CapturedRecords {
  return c.device.family === 'glucose'
    ? { family: 'glucose', records: glucoseRecords(c) }
    : { family: 'cgm', records: cgmRecords(c) };
}
