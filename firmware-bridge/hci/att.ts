// ATT protocol data units (Core Spec Vol 3 Part F): opcodes, error codes, request decoding,
// response/notification encoding. Pure functions; the server logic lives in att-server.ts.
import { CodecError } from '../../drivers/codecs/codec-error.ts';

export const AttOp = {
  errorRsp: 0x01,
  mtuReq: 0x02,
  mtuRsp: 0x03,
  findInfoReq: 0x04,
  findInfoRsp: 0x05,
  findByTypeValueReq: 0x06,
  findByTypeValueRsp: 0x07,
  readByTypeReq: 0x08,
  readByTypeRsp: 0x09,
  readReq: 0x0a,
  readRsp: 0x0b,
  readBlobReq: 0x0c,
  readBlobRsp: 0x0d,
  readMultipleReq: 0x0e,
  readByGroupTypeReq: 0x10,
  readByGroupTypeRsp: 0x11,
  writeReq: 0x12,
  writeRsp: 0x13,
  prepareWriteReq: 0x16,
  prepareWriteRsp: 0x17,
  executeWriteReq: 0x18,
  executeWriteRsp: 0x19,
  notification: 0x1b,
  indication: 0x1d,
  confirmation: 0x1e,
  writeCmd: 0x52,
  signedWriteCmd: 0xd2,
} as const;

export const AttError = {
  invalidHandle: 0x01,
  readNotPermitted: 0x02,
  writeNotPermitted: 0x03,
  invalidPdu: 0x04,
  insufficientAuthentication: 0x05,
  requestNotSupported: 0x06,
  invalidOffset: 0x07,
  insufficientAuthorization: 0x08,
  prepareQueueFull: 0x09,
  attributeNotFound: 0x0a,
  attributeNotLong: 0x0b,
  insufficientEncryptionKeySize: 0x0c,
  invalidAttributeValueLength: 0x0d,
  unlikelyError: 0x0e,
  insufficientEncryption: 0x0f,
  unsupportedGroupType: 0x10,
  insufficientResources: 0x11,
  /** application errors 0x80..0x9F; CCCD improperly configured (CSS Part B 1.2) */
  cccdImproperlyConfigured: 0xfd,
  procedureAlreadyInProgress: 0xfe,
  outOfRange: 0xff,
} as const;

export const ATT_DEFAULT_MTU = 23;

export type AttPdu =
  | { op: 'mtuReq'; mtu: number }
  | { op: 'findInfoReq'; start: number; end: number }
  | { op: 'findByTypeValueReq'; start: number; end: number; type: number; value: Buffer }
  | { op: 'readByTypeReq'; start: number; end: number; type: Buffer }
  | { op: 'readReq'; handle: number }
  | { op: 'readBlobReq'; handle: number; offset: number }
  | { op: 'readByGroupTypeReq'; start: number; end: number; type: Buffer }
  | { op: 'writeReq'; handle: number; value: Buffer }
  | { op: 'writeCmd'; handle: number; value: Buffer }
  | { op: 'prepareWriteReq'; handle: number; offset: number; value: Buffer }
  | { op: 'executeWriteReq'; flags: number }
  | { op: 'confirmation' }
  | { op: 'other'; opcode: number };

type Decoder = (b: Buffer) => AttPdu;

/** A PDU of exactly n bytes. */
const exactly =
  (n: number, name: string, decode: Decoder): Decoder =>
  (b) => {
    if (b.length !== n)
      throw new CodecError('ERR_LENGTH_MISMATCH', `${name} needs ${n} bytes, got ${b.length}`);
    return decode(b);
  };

/** A PDU of n bytes or more (a value follows). */
const atLeast =
  (n: number, name: string, decode: Decoder): Decoder =>
  (b) => {
    if (b.length < n) throw new CodecError('ERR_TOO_SHORT', `${name} needs ${n} bytes, got ${b.length}`);
    return decode(b);
  };

const u16 = (b: Buffer, offset: number): number => b.readUInt16LE(offset);
const rest = (b: Buffer, offset: number): Buffer => Buffer.from(b.subarray(offset));

/** Read By Type / Read By Group Type: a handle range and a 16- or 128-bit attribute type. */
const rangeAndType =
  (op: 'readByTypeReq' | 'readByGroupTypeReq', name: string): Decoder =>
  (b) => {
    if (b.length !== 7 && b.length !== 21) {
      throw new CodecError('ERR_LENGTH_MISMATCH', `${name} needs 7 or 21 bytes, got ${b.length}`);
    }
    return { op, start: u16(b, 1), end: u16(b, 3), type: rest(b, 5) };
  };

/** Write Request / Write Command: a handle and the value. */
const handleAndValue = (op: 'writeReq' | 'writeCmd', name: string): Decoder =>
  atLeast(3, name, (b) => ({ op, handle: u16(b, 1), value: rest(b, 3) }));

const DECODERS = new Map<number, Decoder>([
  [AttOp.mtuReq, exactly(3, 'Exchange MTU Request', (b) => ({ op: 'mtuReq', mtu: u16(b, 1) }))],
  [
    AttOp.findInfoReq,
    exactly(5, 'Find Information Request', (b) => ({ op: 'findInfoReq', start: u16(b, 1), end: u16(b, 3) })),
  ],
  [
    AttOp.findByTypeValueReq,
    atLeast(7, 'Find By Type Value Request', (b) => ({
      op: 'findByTypeValueReq',
      start: u16(b, 1),
      end: u16(b, 3),
      type: u16(b, 5),
      value: rest(b, 7),
    })),
  ],
  [AttOp.readByTypeReq, rangeAndType('readByTypeReq', 'Read By Type Request')],
  [AttOp.readByGroupTypeReq, rangeAndType('readByGroupTypeReq', 'Read By Group Type Request')],
  [AttOp.readReq, exactly(3, 'Read Request', (b) => ({ op: 'readReq', handle: u16(b, 1) }))],
  [
    AttOp.readBlobReq,
    exactly(5, 'Read Blob Request', (b) => ({ op: 'readBlobReq', handle: u16(b, 1), offset: u16(b, 3) })),
  ],
  [AttOp.writeReq, handleAndValue('writeReq', 'Write Request')],
  [AttOp.writeCmd, handleAndValue('writeCmd', 'Write Command')],
  [
    AttOp.prepareWriteReq,
    atLeast(5, 'Prepare Write Request', (b) => ({
      op: 'prepareWriteReq',
      handle: u16(b, 1),
      offset: u16(b, 3),
      value: rest(b, 5),
    })),
  ],
  [
    AttOp.executeWriteReq,
    exactly(2, 'Execute Write Request', (b) => ({ op: 'executeWriteReq', flags: b[1] })),
  ],
  [AttOp.confirmation, exactly(1, 'Handle Value Confirmation', () => ({ op: 'confirmation' }))],
]);

/** Decodes a client PDU. Throws CodecError ERR_TOO_SHORT / ERR_MALFORMED for invalid PDUs. */
export function decodeAttPdu(bytes: Uint8Array): AttPdu {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (b.length < 1) throw new CodecError('ERR_TOO_SHORT', 'empty ATT PDU');
  const decode = DECODERS.get(b[0]);
  return decode ? decode(b) : { op: 'other', opcode: b[0] };
}

/** Bit 6 of an ATT opcode marks a command (never answered, not even with an error). */
export function isAttCommand(opcode: number): boolean {
  return (opcode & 0x40) !== 0;
}

export function errorRsp(requestOpcode: number, handle: number, code: number): Buffer {
  const b = Buffer.alloc(5);
  b[0] = AttOp.errorRsp;
  b[1] = requestOpcode;
  b.writeUInt16LE(handle, 2);
  b[4] = code;
  return b;
}

export function mtuRsp(mtu: number): Buffer {
  const b = Buffer.alloc(3);
  b[0] = AttOp.mtuRsp;
  b.writeUInt16LE(mtu, 1);
  return b;
}

/** Read By Type / Read By Group Type / Find Information share the "op, length/format, entries" layout. */
export function listRsp(opcode: number, second: number, entries: readonly Buffer[]): Buffer {
  return Buffer.concat([Buffer.from([opcode, second]), ...entries]);
}

export function valueRsp(opcode: number, value: Uint8Array): Buffer {
  const b = Buffer.alloc(1 + value.length);
  b[0] = opcode;
  b.set(value, 1);
  return b;
}

export function handleValue(opcode: number, handle: number, value: Uint8Array): Buffer {
  const b = Buffer.alloc(3 + value.length);
  b[0] = opcode;
  b.writeUInt16LE(handle, 1);
  b.set(value, 3);
  return b;
}

export function prepareWriteRsp(handle: number, offset: number, value: Uint8Array): Buffer {
  const b = Buffer.alloc(5 + value.length);
  b[0] = AttOp.prepareWriteRsp;
  b.writeUInt16LE(handle, 1);
  b.writeUInt16LE(offset, 3);
  b.set(value, 5);
  return b;
}
