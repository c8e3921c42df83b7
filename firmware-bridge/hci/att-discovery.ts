// The ATT requests a central discovers a GATT database with (Read By Group Type, Read By Type, Find
// Information, Find By Type Value): each builds its whole response PDU, as many entries of one length as fit
// the connection's ATT_MTU, or the Error Response.
import { AttError, AttOp, errorRsp, listRsp } from './att.ts';
import { GattUuid, type Attribute, type GattDatabase } from './gatt-db.ts';
import { uuidFromBytes } from './uuid.ts';

/** An attribute's full value, or an ATT error code; a promise when its read handler is async. */
export type ValueReader = (a: Attribute) => Buffer | number | Promise<Buffer | number>;

/** The attributes with handles in start..end. */
export function attributesIn(db: GattDatabase, start: number, end: number): Attribute[] {
  const last = Math.min(end, db.lastHandle);
  const out: Attribute[] = [];
  for (let h = start; h <= last; h++) {
    const a = db.get(h);
    if (a) out.push(a);
  }
  return out;
}

function badRange(op: number, start: number, end: number): Buffer | null {
  return start === 0 || start > end ? errorRsp(op, start, AttError.invalidHandle) : null;
}

/** Collects entries of the first entry's length while they fit `mtu` after a header of `header` bytes. */
class Entries {
  readonly list: Buffer[] = [];
  /** the length of every entry, set by the first */
  length = 0;
  private readonly mtu: number;
  private readonly header: number;

  constructor(mtu: number, header: number) {
    this.mtu = mtu;
    this.header = header;
  }

  /** false (and nothing added) when e has another length or does not fit */
  add(e: Buffer): boolean {
    if (this.length === 0) this.length = e.length;
    if (e.length !== this.length || this.header + (this.list.length + 1) * e.length > this.mtu) return false;
    this.list.push(e);
    return true;
  }
}

export function readByGroupType(
  db: GattDatabase,
  mtu: number,
  start: number,
  end: number,
  type: Buffer,
): Buffer {
  const op = AttOp.readByGroupTypeReq;
  const bad = badRange(op, start, end);
  if (bad) return bad;
  const t = uuidFromBytes(type);
  if (t.key !== GattUuid.primaryService.toString(16)) {
    // Only primary services are exposed; secondary (0x2801) yields none, anything else is no group type.
    const secondary = t.key === GattUuid.secondaryService.toString(16);
    return errorRsp(op, start, secondary ? AttError.attributeNotFound : AttError.unsupportedGroupType);
  }
  const entries = new Entries(mtu, 2);
  for (const s of db.services) {
    if (s.start < start || s.start > end) continue;
    const e = Buffer.alloc(4 + s.uuid.bytes.length);
    e.writeUInt16LE(s.start, 0);
    e.writeUInt16LE(s.end, 2);
    s.uuid.bytes.copy(e, 4);
    if (!entries.add(e)) break;
  }
  if (entries.list.length === 0) return errorRsp(op, start, AttError.attributeNotFound);
  return listRsp(AttOp.readByGroupTypeRsp, entries.length, entries.list);
}

/**
 * Read By Type: the values are read one after the other (a characteristic read by type may have an async
 * handler); a promise only when one of them was async.
 */
export function readByType(
  db: GattDatabase,
  mtu: number,
  req: { start: number; end: number; type: Buffer },
  readValue: ValueReader,
): Buffer | Promise<Buffer> {
  const op = AttOp.readByTypeReq;
  const bad = badRange(op, req.start, req.end);
  if (bad) return bad;
  const t = uuidFromBytes(req.type);
  const matches = attributesIn(db, req.start, req.end).filter((a) => a.type.key === t.key);
  if (matches.length === 0) return errorRsp(op, req.start, AttError.attributeNotFound);
  const maxValue = Math.min(mtu - 4, 253);
  const entries = new Entries(mtu, 2);
  const response = (): Buffer => listRsp(AttOp.readByTypeRsp, entries.length, entries.list);
  /** The response once `a`'s value v ends the list, or null to go on. */
  const take = (a: Attribute, v: Buffer | number): Buffer | null => {
    if (typeof v === 'number') return entries.list.length === 0 ? errorRsp(op, a.handle, v) : response();
    const value = v.subarray(0, maxValue);
    const e = Buffer.alloc(2 + value.length);
    e.writeUInt16LE(a.handle, 0);
    value.copy(e, 2);
    return entries.add(e) ? null : response();
  };
  const from = (i: number): Buffer | Promise<Buffer> => {
    for (; i < matches.length; i++) {
      const a = matches[i];
      const v = readValue(a);
      if (v instanceof Promise) return v.then((r) => take(a, r) ?? from(i + 1));
      const end = take(a, v);
      if (end) return end;
    }
    return response();
  };
  return from(0);
}

export function findInformation(db: GattDatabase, mtu: number, start: number, end: number): Buffer {
  const op = AttOp.findInfoReq;
  const bad = badRange(op, start, end);
  if (bad) return bad;
  const attrs = attributesIn(db, start, end);
  if (attrs.length === 0) return errorRsp(op, start, AttError.attributeNotFound);
  const size = attrs[0].type.bytes.length;
  const entries = new Entries(mtu, 2);
  for (const a of attrs) {
    const e = Buffer.alloc(2 + a.type.bytes.length);
    e.writeUInt16LE(a.handle, 0);
    a.type.bytes.copy(e, 2);
    if (!entries.add(e)) break;
  }
  return listRsp(AttOp.findInfoRsp, size === 2 ? 0x01 : 0x02, entries.list);
}

export function findByTypeValue(
  db: GattDatabase,
  mtu: number,
  req: { start: number; end: number; type: number; value: Buffer },
): Buffer {
  const op = AttOp.findByTypeValueReq;
  const bad = badRange(op, req.start, req.end);
  if (bad) return bad;
  const entries = new Entries(mtu, 1);
  for (const a of attributesIn(db, req.start, req.end)) {
    if (a.type.bytes.length !== 2 || a.type.bytes.readUInt16LE(0) !== req.type) continue;
    if (a.kind !== 'service' && a.kind !== 'charDecl' && a.kind !== 'descriptor') continue;
    if (!a.value.equals(req.value)) continue;
    const e = Buffer.alloc(4);
    e.writeUInt16LE(a.handle, 0);
    e.writeUInt16LE(a.kind === 'service' ? a.service.end : a.handle, 2);
    if (!entries.add(e)) break;
  }
  if (entries.list.length === 0) return errorRsp(op, req.start, AttError.attributeNotFound);
  return Buffer.concat([Buffer.from([AttOp.findByTypeValueRsp]), ...entries.list]);
}
