// The wire format of a batch (documented in docs/mqtt.md): one MQTT message carries a contiguous run of outbox
// entries of one gateway. CBOR (plain RFC 8949 maps, no cbor-x extensions) or JSON, same structure, except that
// in CBOR a resource travels as its JSON text (a text string): byte-identical on the recorder with no
// parse/re-encode on the hub (5x cheaper on a small CPU), at about 10% more bytes than CBOR maps.
import { Decoder } from 'cbor-x';
import type { OutboxRow } from '../store/outbox.ts';
import { CborWriter, cborText } from './cbor-writer.ts';

/** Version 2: assignment entries carry their period (from, until). Version 1 batches are still applied. */
export const PAYLOAD_VERSION = 2;
const ACCEPTED_VERSIONS = new Set([1, PAYLOAD_VERSION]);
export type PayloadFormat = 'cbor' | 'json';
export const CONTENT_TYPE: Record<PayloadFormat, string> = {
  cbor: 'application/cbor',
  json: 'application/json',
};

export interface SearchIndex {
  code: string | null;
  effectiveStart: number | null;
  effectiveEnd: number | null;
  value: number | null;
  unit: string | null;
  ref: string | null;
  status: string | null;
}

export interface ResourceEntry {
  seq: number;
  kind: 'resource';
  type: 'Observation' | 'Device' | 'DeviceMetric';
  id: string;
  version: number;
  lastUpdated: number;
  deviceKey: string;
  index: SearchIndex;
  /** The FHIR resource exactly as the hub serves it: its JSON text (CBOR) or the JSON object itself (JSON). */
  resource: Record<string, unknown> | string;
}

export interface AssignmentEntry {
  seq: number;
  kind: 'assignment';
  deviceKey: string;
  /** Pseudonymous patient handle whose period this is (version 1: null when the device was unassigned). */
  patient: string | null;
  /** When the period was opened or closed, hub clock (ms). */
  at: number;
  /** The period [from, until): absent in version 1 (an assignment then started at `at`); until null = open. */
  from?: number;
  until?: number | null;
}

export type Entry = ResourceEntry | AssignmentEntry;

export interface Batch {
  v: number;
  gw: string;
  /** Random id of the hub's database: sequence numbers are only comparable within one stream. */
  stream: string;
  from: number;
  to: number;
  /** Lowest sequence the hub still holds; anything lower it will never send (again). */
  floor: number;
  sentAt: number;
  entries: Entry[];
}

export interface BatchHeader {
  gw: string;
  stream: string;
  floor: number;
  sentAt: number;
}

export class PayloadError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'PayloadError';
    this.code = code;
  }
}

// useRecords: false: plain CBOR maps (what cbor-writer.ts writes), readable by any CBOR library.
const decoder = new Decoder({ useRecords: false, mapsAsObjects: true });

/** The resource JSON text to store, exactly as the hub sent it. */
export function resourceJson(e: ResourceEntry): string {
  return typeof e.resource === 'string' ? e.resource : JSON.stringify(e.resource);
}

/** The fields of an outbox entry its wire bytes are made of (an OutboxRow has them all). */
export type EntryFields = Pick<
  OutboxRow,
  | 'seq'
  | 'kind'
  | 'device_key'
  | 'res_type'
  | 'res_id'
  | 'version'
  | 'last_updated_ms'
  | 'code'
  | 'effective_start_ms'
  | 'effective_end_ms'
  | 'value'
  | 'unit'
  | 'ref'
  | 'status'
  | 'patient'
  | 'at_ms'
  | 'from_ms'
  | 'until_ms'
>;

/** Encodes a batch from the outbox rows' columns (entries queued without a head in this format). */
export function encodeBatch(header: BatchHeader, rows: OutboxRow[], format: PayloadFormat): Buffer {
  const from = rows[0].seq;
  const to = rows[rows.length - 1].seq;
  const w = new CborWriter(sizeHint(rows));
  if (format === 'json') {
    // Written straight into one buffer: no batch-sized string to build, encode and collect. Joined as the
    // stored heads are (ENTRY_JOIN), so both paths give the same bytes.
    const join = ENTRY_JOIN.json;
    w.utf8(jsonBatchHead(header, from, to));
    rows.forEach((row, i) => {
      if (i > 0) w.utf8(join.separator);
      if (row.kind === 'resource')
        w.utf8(jsonResourceHead(row))
          .utf8(row.json ?? 'null')
          .utf8(join.afterResource);
      else w.utf8(jsonAssignment(row));
    });
    return w.utf8(join.batchTail).toBuffer();
  }
  writeCborBatchHead(w, header, from, to, rows.length);
  for (const row of rows) {
    writeCborEntryHead(w, row);
    if (row.kind === 'resource') w.nullableText(row.json);
  }
  return w.toBuffer();
}

/**
 * An entry's bytes without its resource text, made once when the entry is queued: a resource entry up to
 * its resource (in CBOR including the text string's header, so the stored JSON text follows as is), an
 * assignment whole. The drain then joins stored bytes (ENTRY_JOIN) instead of encoding every entry again;
 * entry head + resource JSON (+ ENTRY_JOIN.afterResource) is byte for byte what encodeBatch writes.
 */
export function encodeEntryHead(e: EntryFields, json: string | null, format: PayloadFormat): Buffer {
  if (format === 'json') {
    if (e.kind !== 'resource') return Buffer.from(jsonAssignment(e));
    // A resource without JSON text (none is queued so) is complete here: nothing follows.
    return Buffer.from(json === null ? `${jsonResourceHead(e)}null}` : jsonResourceHead(e));
  }
  const w = new CborWriter(256);
  writeCborEntryHead(w, e);
  if (e.kind === 'resource') {
    if (json === null) w.null();
    else w.textHeader(Buffer.byteLength(json, 'utf8'));
  }
  return Buffer.from(w.toBuffer());
}

/**
 * How stored entries join into a batch: head + resource JSON + afterResource, entries separated by separator;
 * batchTail closes the batch after its last entry.
 */
export const ENTRY_JOIN: Record<
  PayloadFormat,
  { separator: string; afterResource: string; batchTail: string }
> = {
  cbor: { separator: '', afterResource: '', batchTail: '' },
  json: { separator: ',', afterResource: '}', batchTail: ']}' },
};

/** A batch from entries already joined per ENTRY_JOIN (`count` entries, sequence numbers from..to). */
export function encodeBatchOfEntries(
  header: BatchHeader,
  range: { from: number; to: number; count: number },
  entries: Buffer,
  format: PayloadFormat,
): Buffer {
  const head = batchHead(header, range, format);
  const tail = ENTRY_JOIN[format].batchTail;
  return new CborWriter(head.length + entries.length + tail.length)
    .raw(head)
    .raw(entries)
    .utf8(tail)
    .toBuffer();
}

/** Joined entries as the store returns them: `room` spare bytes, the entries (`bytes`, a view), the batch tail. */
export interface FramedEntries {
  from: number;
  to: number;
  count: number;
  bytes: Buffer;
  frame: Buffer;
  room: number;
}

/**
 * The same batch, made in place: the head is written into the end of the frame's spare bytes and the payload
 * is a view of the frame, so there is no second batch-sized buffer to fill and collect for every message. A head
 * longer than the room (see batchHeadRoom) falls back to a copy.
 */
export function frameBatchOfEntries(
  header: BatchHeader,
  entries: FramedEntries,
  format: PayloadFormat,
): Buffer {
  const { frame, room } = entries;
  const head = batchHead(header, entries, format);
  if (head.length > room) return encodeBatchOfEntries(header, entries, entries.bytes, format);
  head.copy(frame, room - head.length);
  return frame.subarray(room - head.length);
}

/** Room for the head of any batch with this gateway id and stream (every number at its widest). */
export function batchHeadRoom(header: Pick<BatchHeader, 'gw' | 'stream'>, format: PayloadFormat): number {
  const max = Number.MAX_SAFE_INTEGER;
  return batchHead(
    { gw: header.gw, stream: header.stream, floor: max, sentAt: max },
    // A batch holds far fewer entries than 2^32 (an array head's widest form below 64-bit lengths).
    { from: max, to: max, count: 0xffffffff },
    format,
  ).length;
}

/** A batch's bytes before its first entry. */
function batchHead(
  header: BatchHeader,
  range: { from: number; to: number; count: number },
  format: PayloadFormat,
): Buffer {
  if (format === 'json') return Buffer.from(jsonBatchHead(header, range.from, range.to));
  const w = new CborWriter(128 + 3 * (header.gw.length + header.stream.length));
  writeCborBatchHead(w, header, range.from, range.to, range.count);
  return w.toBuffer();
}

// Keys and constant values, encoded once.
const K = Object.fromEntries(
  [
    'v',
    'gw',
    'stream',
    'from',
    'to',
    'floor',
    'sentAt',
    'entries',
    'seq',
    'kind',
    'type',
    'id',
    'version',
    'lastUpdated',
    'deviceKey',
    'index',
    'code',
    'effectiveStart',
    'effectiveEnd',
    'value',
    'unit',
    'ref',
    'status',
    'resource',
    'patient',
    'at',
    'until',
    'assignment',
  ].map((k) => [k, cborText(k)]),
) as Record<string, Buffer>;

// JSON.stringify's output for the entry head, without building the object first (property-tested equal).
const str = (v: string | null): string => (v === null ? 'null' : JSON.stringify(v));
const num = (v: number | null): string => (v === null || !Number.isFinite(v) ? 'null' : String(v));

/** The batch object up to the first entry. */
function jsonBatchHead(header: BatchHeader, from: number, to: number): string {
  const head = JSON.stringify({
    v: PAYLOAD_VERSION,
    gw: header.gw,
    stream: header.stream,
    from,
    to,
    floor: header.floor,
    sentAt: header.sentAt,
  });
  return `${head.slice(0, -1)},"entries":[`;
}

/** A resource entry up to its `"resource":` key. */
function jsonResourceHead(e: EntryFields): string {
  return (
    `{"seq":${e.seq},"kind":"resource","type":${str(e.res_type)},"id":${str(e.res_id)},` +
    `"version":${num(e.version)},"lastUpdated":${num(e.last_updated_ms)},"deviceKey":${str(e.device_key)},` +
    `"index":{"code":${str(e.code)},"effectiveStart":${num(e.effective_start_ms)},` +
    `"effectiveEnd":${num(e.effective_end_ms)},"value":${num(e.value)},"unit":${str(e.unit)},` +
    `"ref":${str(e.ref)},"status":${str(e.status)}},"resource":`
  );
}

function jsonAssignment(e: EntryFields): string {
  return (
    `{"seq":${e.seq},"kind":"assignment","deviceKey":${str(e.device_key)},"patient":${str(e.patient)},` +
    `"at":${num(e.at_ms)},"from":${num(e.from_ms)},"until":${num(e.until_ms)}}`
  );
}

/** Sized for the usual case (no growth, no copy): the resource texts plus the entry heads. */
function sizeHint(rows: OutboxRow[]): number {
  let size = 128;
  for (const row of rows) size += (row.json?.length ?? 0) + 384;
  return size;
}

// The same bytes cbor-x writes for the batch object (see cbor-writer.ts), in a fraction of the time.
function writeCborBatchHead(
  w: CborWriter,
  header: BatchHeader,
  from: number,
  to: number,
  count: number,
): void {
  w.map(8);
  w.raw(K.v).number(PAYLOAD_VERSION);
  w.raw(K.gw).text(header.gw);
  w.raw(K.stream).text(header.stream);
  w.raw(K.from).number(from);
  w.raw(K.to).number(to);
  w.raw(K.floor).number(header.floor);
  w.raw(K.sentAt).number(header.sentAt);
  w.raw(K.entries).array(count);
}

/** An entry, for a resource up to and including its `resource` key. */
function writeCborEntryHead(w: CborWriter, e: EntryFields): void {
  if (e.kind === 'assignment') {
    w.map(7);
    w.raw(K.seq).number(e.seq);
    w.raw(K.kind).raw(K.assignment);
    w.raw(K.deviceKey).text(e.device_key);
    w.raw(K.patient).nullableText(e.patient);
    w.raw(K.at).nullableNumber(e.at_ms);
    w.raw(K.from).nullableNumber(e.from_ms);
    w.raw(K.until).nullableNumber(e.until_ms);
    return;
  }
  w.map(9);
  w.raw(K.seq).number(e.seq);
  w.raw(K.kind).raw(K.resource);
  w.raw(K.type).nullableText(e.res_type);
  w.raw(K.id).nullableText(e.res_id);
  w.raw(K.version).nullableNumber(e.version);
  w.raw(K.lastUpdated).nullableNumber(e.last_updated_ms);
  w.raw(K.deviceKey).text(e.device_key);
  w.raw(K.index).map(7);
  w.raw(K.code).nullableText(e.code);
  w.raw(K.effectiveStart).nullableNumber(e.effective_start_ms);
  w.raw(K.effectiveEnd).nullableNumber(e.effective_end_ms);
  w.raw(K.value).nullableNumber(e.value);
  w.raw(K.unit).nullableText(e.unit);
  w.raw(K.ref).nullableText(e.ref);
  w.raw(K.status).nullableText(e.status);
  w.raw(K.resource);
}

/** Version 1: a handle or null (unassigned) and `at`. Version 2: a handle's period [from, until). */
function checkAssignment(e: Record<string, unknown>, seq: number, version: number): void {
  if (!Number.isFinite(e.at)) fail(`entry ${seq}: at must be a time in ms`);
  if (version === 1) {
    if (e.patient !== null && !isStr(e.patient, 128)) fail(`entry ${seq}: patient must be a handle or null`);
    return;
  }
  if (!isStr(e.patient, 128)) fail(`entry ${seq}: patient must be a handle`);
  if (!Number.isSafeInteger(e.from) || (e.from as number) < 0)
    fail(`entry ${seq}: from must be a time in ms`);
  if (e.until !== null && (!Number.isSafeInteger(e.until) || (e.until as number) < (e.from as number))) {
    fail(`entry ${seq}: until must be null or a time in ms not before from`);
  }
}

const RESOURCE_TYPES = new Set(['Observation', 'Device', 'DeviceMetric']);
const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 1;
const isStr = (v: unknown, max = 256): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= max;
const isNullableStr = (v: unknown) => v === null || typeof v === 'string';
const isNullableNum = (v: unknown) => v === null || (typeof v === 'number' && Number.isFinite(v));

/** Decodes and checks a batch; throws PayloadError naming what was wrong. */
export function decodeBatch(payload: Buffer, contentType?: string): Batch {
  let value: unknown;
  const json = contentType ? contentType === CONTENT_TYPE.json : payload[0] === 0x7b; // '{'
  try {
    value = json ? JSON.parse(payload.toString('utf8')) : decoder.decode(payload);
  } catch (err) {
    throw new PayloadError(
      'ERR_PAYLOAD_DECODE',
      `not valid ${json ? 'JSON' : 'CBOR'}: ${(err as Error).message}`,
    );
  }
  return checkBatch(value);
}

function fail(message: string): never {
  throw new PayloadError('ERR_PAYLOAD_SHAPE', message);
}

export function checkBatch(value: unknown): Batch {
  if (!isObj(value)) fail('batch must be a map');
  if (!ACCEPTED_VERSIONS.has(value.v as number))
    fail(`unsupported payload version ${JSON.stringify(value.v)}`);
  if (!isStr(value.gw, 64) || !/^[A-Za-z0-9._-]+$/.test(value.gw)) fail('gw must be a gateway id');
  if (!isStr(value.stream, 64)) fail('stream must be a non-empty string');
  if (!isSeq(value.from) || !isSeq(value.to) || value.to < value.from)
    fail('from/to must be a sequence range');
  if (!isSeq(value.floor)) fail('floor must be a sequence number');
  if (!Number.isFinite(value.sentAt)) fail('sentAt must be a time in ms');
  const entries = value.entries;
  if (!Array.isArray(entries) || entries.length !== value.to - value.from + 1) {
    fail('entries must hold exactly one entry per sequence number from..to');
  }
  entries.forEach((e: unknown, i: number) => checkEntry(e, (value.from as number) + i, value.v as number));
  return value as unknown as Batch;
}

function checkEntry(e: unknown, seq: number, version: number): void {
  if (!isObj(e)) fail(`entry ${seq} must be a map`);
  if (e.seq !== seq) fail(`entry ${seq} has seq ${JSON.stringify(e.seq)}`);
  if (!isStr(e.deviceKey, 400)) fail(`entry ${seq}: deviceKey must be a string`);
  if (e.kind === 'assignment') return checkAssignment(e, seq, version);
  if (e.kind !== 'resource') fail(`entry ${seq}: kind must be resource or assignment`);
  if (!RESOURCE_TYPES.has(e.type as string))
    fail(`entry ${seq}: type ${JSON.stringify(e.type)} is not synced`);
  if (!isStr(e.id, 128)) fail(`entry ${seq}: id must be a string`);
  if (!isSeq(e.version)) fail(`entry ${seq}: version must be a positive integer`);
  if (!Number.isFinite(e.lastUpdated)) fail(`entry ${seq}: lastUpdated must be a time in ms`);
  let r: unknown = e.resource;
  if (typeof r === 'string') {
    try {
      r = JSON.parse(r);
    } catch {
      fail(`entry ${seq}: resource text is not JSON`);
    }
  }
  if (!isObj(r) || r.resourceType !== e.type || r.id !== e.id) {
    fail(`entry ${seq}: resource must be a ${String(e.type)} with id ${String(e.id)}`);
  }
  const idx = e.index;
  if (!isObj(idx)) fail(`entry ${seq}: index must be a map`);
  for (const k of ['code', 'unit', 'ref', 'status']) {
    if (!isNullableStr(idx[k])) fail(`entry ${seq}: index.${k} must be a string or null`);
  }
  for (const k of ['effectiveStart', 'effectiveEnd', 'value']) {
    if (!isNullableNum(idx[k])) fail(`entry ${seq}: index.${k} must be a number or null`);
  }
}
