// OneTouch Verio 2015 / Select Plus messages over the SCSI register interface (glucometer-protocols
// lifescan/onetouch-verio-2015.md; glucometerutils drivers/otverio2015.py, support/lifescan_binary_protocol.py).
// Each register is one 512-byte block holding a LifeScan binary packet (onetouch-frame.ts) whose link-control
// byte is always 0x00, zero-padded; a request is written to a register with WRITE(10) and its answer read
// back from the same register with READ(10). Command prefix 0x03; a success answer starts 03 06.
// Times are u32 little-endian seconds since 2000-01-01 00:00:00 meter wall time.
import { CodecError } from './codec-error.ts';
import { decodeOneTouchFrame, encodeOneTouchFrame } from './onetouch-frame.ts';

export const VERIO_REGISTER_SIZE = 512;
/** Registers (LBAs) used: QUERY, RTC, count and records on 3, READ PARAMETER on 4. */
export const VERIO_LBA_COMMAND = 3;
export const VERIO_LBA_PARAMETER = 4;
/** Seconds from 1970-01-01 to the meter epoch 2000-01-01. */
export const VERIO_EPOCH_OFFSET = 946_684_800;

export type VerioQuerySelector = 'serial' | 'model' | 'software';
const SELECTORS: Record<VerioQuerySelector, number> = { serial: 0x00, model: 0x01, software: 0x02 };

export type VerioRequest =
  | { kind: 'query'; selector: VerioQuerySelector }
  | { kind: 'read-unit' }
  | { kind: 'read-rtc' }
  | { kind: 'record-count' }
  | { kind: 'record'; index: number };

export interface VerioRecord {
  inverseCounter: number;
  lifetimeCounter: number;
  /** Seconds since 2000-01-01 meter wall time. */
  timestamp: number;
  localTime: string;
  /** mg/dL (the meter converts only for display). */
  value: number;
  meal: 'none' | 'before' | 'after';
}

const MEALS = ['none', 'before', 'after'] as const;
const LINK = { sequence: false, expectReceive: false, ack: false, disconnect: false, more: false };

/** A message (command prefix onward) → one zero-padded 512-byte register block. */
export function encodeVerioBlock(message: Uint8Array): Uint8Array {
  const frame = encodeOneTouchFrame({ link: LINK, message });
  const out = new Uint8Array(VERIO_REGISTER_SIZE);
  out.set(frame, 0);
  return out;
}

/** A register block → the message it carries (frame checked: STX, length, ETX, CRC, link control 0). */
export function decodeVerioBlock(block: Uint8Array): Uint8Array {
  if (block.length < 2)
    throw new CodecError('ERR_TOO_SHORT', `Verio register block is ${block.length} bytes`);
  const frame = decodeOneTouchFrame(block.subarray(0, Math.min(block.length, block[1])));
  const l = frame.link;
  if (l.sequence || l.expectReceive || l.ack || l.disconnect || l.more) {
    throw new CodecError('ERR_RESERVED_VALUE', 'Verio packet has link-control bits set');
  }
  return frame.message;
}

function u16(b: Uint8Array, at: number): number {
  return b[at] | (b[at + 1] << 8);
}
function u32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}
const le16 = (v: number): number[] => [v & 0xff, (v >> 8) & 0xff];
const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

export function verioLocalTime(timestamp: number): string {
  return new Date((timestamp + VERIO_EPOCH_OFFSET) * 1000).toISOString().slice(0, 19);
}

export function verioTimestamp(localTime: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(localTime);
  if (!m) throw new CodecError('ERR_INVALID_ARGUMENT', `local time ${JSON.stringify(localTime)}`);
  const s = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) / 1000 - VERIO_EPOCH_OFFSET;
  if (!Number.isInteger(s) || s < 0 || s > 0xffffffff || verioLocalTime(s) !== localTime) {
    throw new CodecError('ERR_OUT_OF_RANGE', `local time ${localTime} is not a Verio time`);
  }
  return s;
}

/** Which register a request goes to. */
export function verioRequestLba(req: VerioRequest): number {
  return req.kind === 'read-unit' ? VERIO_LBA_PARAMETER : VERIO_LBA_COMMAND;
}

export function encodeVerioRequest(req: VerioRequest): Uint8Array {
  switch (req.kind) {
    case 'query':
      return Uint8Array.of(0x03, 0xe6, 0x02, SELECTORS[req.selector]);
    case 'read-unit': // parameter selector 0x04; the byte after it is ignored by the meter
      return Uint8Array.of(0x03, 0x04, 0x00);
    case 'read-rtc':
      return Uint8Array.of(0x03, 0x20, 0x02);
    case 'record-count':
      return Uint8Array.of(0x03, 0x27, 0x00);
    case 'record':
      if (!Number.isInteger(req.index) || req.index < 0 || req.index > 0xffff) {
        throw new CodecError('ERR_OUT_OF_RANGE', `record index ${req.index}`);
      }
      return Uint8Array.of(0x03, 0x31, 0x02, ...le16(req.index), 0x00);
  }
}

export function decodeVerioRequest(msg: Uint8Array, lba = VERIO_LBA_COMMAND): VerioRequest {
  const hex = Buffer.from(msg).toString('hex');
  if (msg[0] !== 0x03) throw new CodecError('ERR_MALFORMED', `Verio request ${hex} lacks the 0x03 prefix`);
  if (lba === VERIO_LBA_PARAMETER && msg.length === 3 && msg[1] === 0x04) return { kind: 'read-unit' };
  if (lba !== VERIO_LBA_COMMAND)
    throw new CodecError('ERR_UNKNOWN_OPCODE', `Verio request ${hex} on register ${lba}`);
  if (msg.length === 4 && msg[1] === 0xe6 && msg[2] === 0x02) {
    const selector = (Object.keys(SELECTORS) as VerioQuerySelector[]).find((k) => SELECTORS[k] === msg[3]);
    if (selector) return { kind: 'query', selector };
  }
  if (msg.length === 3 && msg[1] === 0x20 && msg[2] === 0x02) return { kind: 'read-rtc' };
  if (msg.length === 3 && msg[1] === 0x27 && msg[2] === 0x00) return { kind: 'record-count' };
  if (msg.length === 6 && msg[1] === 0x31 && msg[2] === 0x02 && msg[5] === 0x00)
    return { kind: 'record', index: u16(msg, 3) };
  throw new CodecError('ERR_UNKNOWN_OPCODE', `Verio request ${hex}`);
}

function success(msg: Uint8Array, length: number | null, what: string): void {
  if (msg.length < 2 || msg[0] !== 0x03)
    throw new CodecError('ERR_MALFORMED', `Verio ${what} reply lacks the 0x03 prefix`);
  if (msg[1] !== 0x06)
    throw new CodecError(
      'ERR_INVALID_OPERAND',
      `Verio ${what} failed: status 0x${msg[1].toString(16).padStart(2, '0')}`,
    );
  if (length !== null && msg.length !== length) {
    throw new CodecError(
      'ERR_LENGTH_MISMATCH',
      `Verio ${what} reply is ${msg.length} bytes, expected ${length}`,
    );
  }
}

/** QUERY answer: 03 06 then a NUL-terminated UTF-16-LE string. */
export function decodeVerioQuery(msg: Uint8Array): string {
  success(msg, null, 'QUERY');
  const body = msg.subarray(2);
  let end = 0;
  while (end + 1 < body.length && (body[end] !== 0 || body[end + 1] !== 0)) end += 2;
  if (end + 1 >= body.length)
    throw new CodecError('ERR_MALFORMED', 'Verio QUERY string is not NUL-terminated');
  return Buffer.from(body.subarray(0, end)).toString('utf16le');
}

export function encodeVerioQuery(text: string): Uint8Array {
  return Uint8Array.of(0x03, 0x06, ...Buffer.from(text, 'utf16le'), 0, 0);
}

/** READ PARAMETER unit: 03 06 unit 00 00 00 (0 mg/dL, 1 mmol/L). */
export function decodeVerioUnit(msg: Uint8Array): 'mg/dL' | 'mmol/L' {
  success(msg, 6, 'unit');
  if (msg[2] === 0) return 'mg/dL';
  if (msg[2] === 1) return 'mmol/L';
  throw new CodecError('ERR_RESERVED_VALUE', `Verio unit byte 0x${msg[2].toString(16)}`);
}

export function encodeVerioUnit(unit: 'mg/dL' | 'mmol/L'): Uint8Array {
  return Uint8Array.of(0x03, 0x06, unit === 'mg/dL' ? 0 : 1, 0, 0, 0);
}

export function decodeVerioRtc(msg: Uint8Array): { timestamp: number; localTime: string } {
  success(msg, 6, 'READ RTC');
  const timestamp = u32(msg, 2);
  return { timestamp, localTime: verioLocalTime(timestamp) };
}

export const encodeVerioRtc = (timestamp: number): Uint8Array =>
  Uint8Array.of(0x03, 0x06, ...le32(timestamp));

export function decodeVerioRecordCount(msg: Uint8Array): number {
  success(msg, 4, 'READ RECORD COUNT');
  return u16(msg, 2);
}

export const encodeVerioRecordCount = (n: number): Uint8Array => Uint8Array.of(0x03, 0x06, ...le16(n));

/** READ RECORD answer (18 message bytes): 03 06 inv(2) 00 life(2) time(4) value(2) meal flags(4). */
export function decodeVerioRecord(msg: Uint8Array): VerioRecord {
  success(msg, 18, 'READ RECORD');
  const meal = MEALS[msg[13]];
  if (!meal) throw new CodecError('ERR_RESERVED_VALUE', `Verio meal flag 0x${msg[13].toString(16)}`);
  const timestamp = u32(msg, 7);
  return {
    inverseCounter: u16(msg, 2),
    lifetimeCounter: u16(msg, 5),
    timestamp,
    localTime: verioLocalTime(timestamp),
    value: u16(msg, 11),
    meal,
  };
}

export function encodeVerioRecord(r: Omit<VerioRecord, 'localTime'>): Uint8Array {
  if (r.value < 0 || r.value > 0xffff || !Number.isInteger(r.value))
    throw new CodecError('ERR_OUT_OF_RANGE', `value ${r.value}`);
  return Uint8Array.of(
    0x03,
    0x06,
    ...le16(r.inverseCounter),
    0x00,
    ...le16(r.lifetimeCounter),
    ...le32(r.timestamp),
    ...le16(r.value),
    MEALS.indexOf(r.meal),
    0x00,
    0x00,
    0x0b,
    0x00,
  );
}
