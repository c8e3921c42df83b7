// The wire format of a batch (documented in docs/mqtt.md): one MQTT message carries a contiguous run of outbox
// entries of one gateway. CBOR (plain RFC 8949 maps, no cbor-x extensions) or JSON, same structure, except that
// in CBOR a resource travels as its JSON text (a text string): byte-identical on the recorder with no
// parse/re-encode on the hub, at about 10% more bytes than CBOR maps. The store keeps rows; this encodes them.
import { GatewayError } from '../../lib/errors.ts';
import { Decoder, Encoder } from 'cbor-x';
import type { OutboxRow } from '../store/outbox.ts';

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

export class PayloadError extends GatewayError {
  declare readonly code: 'ERR_PAYLOAD_DECODE' | 'ERR_PAYLOAD_SHAPE';
  constructor(code: PayloadError['code'], message: string) {
    super(code, message);
  }
}

// Plain CBOR maps (no record extension), shortest length headers: readable by any CBOR library.
const decoder = new Decoder({ useRecords: false, mapsAsObjects: true });
const encoder = new Encoder({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

/** The resource JSON text to store, exactly as the hub sent it. */
export function resourceJson(e: ResourceEntry): string {
  return typeof e.resource === 'string' ? e.resource : JSON.stringify(e.resource);
}

/** Encodes a batch of outbox rows (seq order, one gateway) in the publisher's format. */
export function encodeBatch(header: BatchHeader, rows: OutboxRow[], format: PayloadFormat): Buffer {
  const head = {
    v: PAYLOAD_VERSION,
    gw: header.gw,
    stream: header.stream,
    from: rows[0].seq,
    to: rows[rows.length - 1].seq,
    floor: header.floor,
    sentAt: header.sentAt,
  };
  if (format === 'cbor') return encoder.encode({ ...head, entries: rows.map((r) => entryOf(r, r.json)) });
  // JSON: each resource's stored JSON text is spliced in as it is (no parse and stringify again).
  const entries = rows.map((r) => {
    if (r.kind !== 'resource') return JSON.stringify(entryOf(r, null));
    const { resource: _r, ...rest } = entryOf(r, null) as ResourceEntry;
    return `${JSON.stringify(rest).slice(0, -1)},"resource":${r.json ?? 'null'}}`;
  });
  return Buffer.from(`${JSON.stringify(head).slice(0, -1)},"entries":[${entries.join(',')}]}`);
}

/** The entry of a row, fields in wire order; a resource carries `resource` as given (its JSON text). */
function entryOf(r: OutboxRow, resource: string | null): Entry {
  if (r.kind === 'assignment') {
    return {
      seq: r.seq,
      kind: 'assignment',
      deviceKey: r.device_key,
      patient: r.patient,
      at: r.at_ms!,
      from: r.from_ms!,
      until: r.until_ms,
    };
  }
  return {
    seq: r.seq,
    kind: 'resource',
    type: r.res_type as ResourceEntry['type'],
    id: r.res_id!,
    version: r.version!,
    lastUpdated: r.last_updated_ms!,
    deviceKey: r.device_key,
    index: {
      code: r.code,
      effectiveStart: r.effective_start_ms,
      effectiveEnd: r.effective_end_ms,
      value: r.value,
      unit: r.unit,
      ref: r.ref,
      status: r.status,
    },
    resource: resource as string,
  };
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
