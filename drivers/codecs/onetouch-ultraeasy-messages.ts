// LifeScan OneTouch Ultra Easy / UltraMini messages carried inside binary link frames (spec D.2).
// Requests are built by the gateway and recognised by the simulated meter; responses the other way round.
// Times are u32 little-endian seconds since 1970-01-01 counted in the meter's local wall time.
import { CodecError } from './codec-error.ts';

export type UltraEasyUnit = 'mg/dL' | 'mmol/L';

export type UltraEasyRequest =
  | { kind: 'version' }
  | { kind: 'serial' }
  | { kind: 'read-clock' }
  | { kind: 'unit' }
  | { kind: 'record-count' }
  | { kind: 'record'; index: number };

export interface UltraEasyRecord {
  /** Seconds since 1970 in meter wall time, as sent. */
  timestamp: number;
  /** `YYYY-MM-DDTHH:MM:SS` meter wall time. */
  localTime: string;
  /** mg/dL. */
  value: number;
}

/** Index 501 does not exist; the meter answers it with the record count. */
export const ULTRAEASY_COUNT_INDEX = 501;
export const ULTRAEASY_MAX_RECORDS = 500;

const SUCCESS = [0x05, 0x06];
// glucometerutils' serial request; the trailing bytes differ between tools and the meter ignores them.
const SERIAL_REQUEST = [0x05, 0x0b, 0x02, 0x00, 0x00, 0x00, 0x00, 0x84, 0x6a, 0xe8, 0x73, 0x00];
const CLOCK_REQUEST = [0x05, 0x20, 0x02, 0x00, 0x00, 0x00, 0x00];
const UNIT_REQUEST = [0x05, 0x09, 0x02, 0x09, 0x00, 0x00, 0x00, 0x00];

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.subarray(0, 16)).toString('hex');
}

function u16(b: Uint8Array, at: number): number {
  return b[at] | (b[at + 1] << 8);
}

function u32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

function putU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = (v >>> 24) & 0xff;
}

function checkU32(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new CodecError('ERR_OUT_OF_RANGE', `${what} ${v} does not fit 32 bits`);
  }
}

/** Meter wall-clock seconds → `YYYY-MM-DDTHH:MM:SS` (UTC-naive: no zone is applied). */
export function ultraEasyLocalTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 19);
}

/** `YYYY-MM-DDTHH:MM:SS` → meter wall-clock seconds. */
export function ultraEasySeconds(localTime: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(localTime);
  if (!m)
    throw new CodecError(
      'ERR_INVALID_ARGUMENT',
      `localTime ${JSON.stringify(localTime)} is not YYYY-MM-DDTHH:MM:SS`,
    );
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  if (ultraEasyLocalTime(ms / 1000) !== localTime) {
    throw new CodecError('ERR_OUT_OF_RANGE', `localTime ${localTime} is not a valid date`);
  }
  checkU32(ms / 1000, 'timestamp');
  return ms / 1000;
}

// ---- requests --------------------------------------------------------------------------------------------

export function encodeUltraEasyRequest(req: UltraEasyRequest): Uint8Array {
  switch (req.kind) {
    case 'version':
      return Uint8Array.of(0x05, 0x0d, 0x02);
    case 'serial':
      return Uint8Array.from(SERIAL_REQUEST);
    case 'read-clock':
      return Uint8Array.from(CLOCK_REQUEST);
    case 'unit':
      return Uint8Array.from(UNIT_REQUEST);
    case 'record-count':
      return Uint8Array.of(0x05, 0x1f, ULTRAEASY_COUNT_INDEX & 0xff, ULTRAEASY_COUNT_INDEX >> 8);
    case 'record':
      if (!Number.isInteger(req.index) || req.index < 0 || req.index >= ULTRAEASY_MAX_RECORDS) {
        throw new CodecError(
          'ERR_OUT_OF_RANGE',
          `record index ${req.index} is not 0..${ULTRAEASY_MAX_RECORDS - 1}`,
        );
      }
      return Uint8Array.of(0x05, 0x1f, req.index & 0xff, req.index >> 8);
    default:
      throw new CodecError('ERR_INVALID_ARGUMENT', `unknown request ${JSON.stringify(req)}`);
  }
}

export function decodeUltraEasyRequest(msg: Uint8Array): UltraEasyRequest {
  if (msg.length < 2) throw new CodecError('ERR_TOO_SHORT', `request of ${msg.length} bytes`);
  if (msg[0] !== 0x05) throw new CodecError('ERR_MALFORMED', `request does not start with 05: ${hex(msg)}`);
  const same = (ref: number[]): boolean => msg.length === ref.length && ref.every((b, i) => msg[i] === b);
  switch (msg[1]) {
    case 0x0d:
      if (msg.length === 3 && msg[2] === 0x02) return { kind: 'version' };
      break;
    case 0x0b:
      if (msg.length === SERIAL_REQUEST.length && msg[2] === 0x02) return { kind: 'serial' };
      break;
    case 0x20:
      if (same(CLOCK_REQUEST)) return { kind: 'read-clock' };
      break;
    case 0x09:
      if (same(UNIT_REQUEST)) return { kind: 'unit' };
      break;
    case 0x1f:
      if (msg.length === 4) {
        const index = u16(msg, 2);
        if (index === ULTRAEASY_COUNT_INDEX) return { kind: 'record-count' };
        if (index < ULTRAEASY_MAX_RECORDS) return { kind: 'record', index };
        throw new CodecError(
          'ERR_OUT_OF_RANGE',
          `record index ${index} is not 0..${ULTRAEASY_MAX_RECORDS - 1}`,
        );
      }
      break;
    default:
      throw new CodecError(
        'ERR_UNKNOWN_OPCODE',
        `unknown request 05 ${msg[1].toString(16).padStart(2, '0')}`,
      );
  }
  throw new CodecError('ERR_MALFORMED', `malformed request ${hex(msg)}`);
}

// ---- responses -------------------------------------------------------------------------------------------

function expectSuccess(msg: Uint8Array, length: number | 'min', min: number, what: string): void {
  if (msg.length < min) throw new CodecError('ERR_TOO_SHORT', `${what} response is ${msg.length} bytes`);
  if (length !== 'min' && msg.length !== length) {
    throw new CodecError(
      'ERR_LENGTH_MISMATCH',
      `${what} response is ${msg.length} bytes, expected ${length}`,
    );
  }
  if (msg[0] !== SUCCESS[0] || msg[1] !== SUCCESS[1]) {
    throw new CodecError('ERR_MALFORMED', `${what} response does not start with 05 06: ${hex(msg)}`);
  }
}

function ascii(bytes: Uint8Array, what: string): string {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--; // NUL padding
  for (let i = 0; i < end; i++) {
    if (bytes[i] < 0x20 || bytes[i] > 0x7e) {
      throw new CodecError('ERR_MALFORMED', `${what} holds non-printable byte 0x${bytes[i].toString(16)}`);
    }
  }
  return String.fromCharCode(...bytes.subarray(0, end));
}

function encodeAscii(text: string, what: string): number[] {
  if (text.length > 200) throw new CodecError('ERR_TOO_LONG', `${what} is ${text.length} characters`);
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) throw new CodecError('ERR_INVALID_ARGUMENT', `${what} is not printable ASCII`);
    out.push(c);
  }
  return out;
}

export function decodeUltraEasyVersion(msg: Uint8Array): string {
  expectSuccess(msg, 'min', 3, 'version');
  if (msg[2] !== msg.length - 3) {
    throw new CodecError(
      'ERR_LENGTH_MISMATCH',
      `version says ${msg[2]} characters, carries ${msg.length - 3}`,
    );
  }
  return ascii(msg.subarray(3), 'version');
}

export function encodeUltraEasyVersion(version: string): Uint8Array {
  const text = encodeAscii(version, 'version');
  return Uint8Array.from([...SUCCESS, text.length, ...text]);
}

export function decodeUltraEasySerial(msg: Uint8Array): string {
  expectSuccess(msg, 'min', 3, 'serial');
  const serial = ascii(msg.subarray(2), 'serial');
  if (serial.length === 0) throw new CodecError('ERR_MALFORMED', 'serial number is empty');
  return serial;
}

export function encodeUltraEasySerial(serial: string): Uint8Array {
  if (serial.length === 0) throw new CodecError('ERR_INVALID_ARGUMENT', 'serial number is empty');
  return Uint8Array.from([...SUCCESS, ...encodeAscii(serial, 'serial')]);
}

export function decodeUltraEasyClock(msg: Uint8Array): { timestamp: number; localTime: string } {
  expectSuccess(msg, 6, 6, 'clock');
  const timestamp = u32(msg, 2);
  return { timestamp, localTime: ultraEasyLocalTime(timestamp) };
}

export function encodeUltraEasyClock(timestamp: number): Uint8Array {
  checkU32(timestamp, 'timestamp');
  const out = Uint8Array.of(...SUCCESS, 0, 0, 0, 0);
  putU32(out, 2, timestamp);
  return out;
}

export function decodeUltraEasyUnit(msg: Uint8Array): UltraEasyUnit {
  expectSuccess(msg, 6, 6, 'unit');
  if (msg[2] === 0) return 'mg/dL';
  if (msg[2] === 1) return 'mmol/L';
  throw new CodecError('ERR_RESERVED_VALUE', `unit byte 0x${msg[2].toString(16)} is not 0 or 1`);
}

export function encodeUltraEasyUnit(unit: UltraEasyUnit): Uint8Array {
  if (unit !== 'mg/dL' && unit !== 'mmol/L')
    throw new CodecError('ERR_INVALID_ARGUMENT', `unit ${String(unit)}`);
  return Uint8Array.of(...SUCCESS, unit === 'mg/dL' ? 0 : 1, 0, 0, 0);
}

export function decodeUltraEasyRecordCount(msg: Uint8Array): number {
  if (msg.length !== 4)
    throw new CodecError('ERR_LENGTH_MISMATCH', `record count response is ${msg.length} bytes`);
  if (msg[0] !== 0x05 || msg[1] !== 0x0f) {
    throw new CodecError('ERR_MALFORMED', `record count response does not start with 05 0F: ${hex(msg)}`);
  }
  const count = u16(msg, 2);
  if (count > ULTRAEASY_MAX_RECORDS) throw new CodecError('ERR_OUT_OF_RANGE', `record count ${count} > 500`);
  return count;
}

export function encodeUltraEasyRecordCount(count: number): Uint8Array {
  if (!Number.isInteger(count) || count < 0 || count > ULTRAEASY_MAX_RECORDS) {
    throw new CodecError('ERR_OUT_OF_RANGE', `record count ${count} is not 0..500`);
  }
  return Uint8Array.of(0x05, 0x0f, count & 0xff, count >> 8);
}

export function decodeUltraEasyRecord(msg: Uint8Array): UltraEasyRecord {
  expectSuccess(msg, 10, 10, 'record');
  const timestamp = u32(msg, 2);
  return { timestamp, localTime: ultraEasyLocalTime(timestamp), value: u32(msg, 6) };
}

export function encodeUltraEasyRecord(r: { timestamp: number; value: number }): Uint8Array {
  checkU32(r.timestamp, 'timestamp');
  checkU32(r.value, 'value');
  const out = Uint8Array.of(...SUCCESS, 0, 0, 0, 0, 0, 0, 0, 0);
  putU32(out, 2, r.timestamp);
  putU32(out, 6, r.value);
  return out;
}
