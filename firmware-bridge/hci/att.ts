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

/** Decodes a client PDU. Throws CodecError ERR_TOO_SHORT / ERR_MALFORMED for invalid PDUs. */
export function decodeAttPdu(bytes: Uint8Array): AttPdu {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (b.length < 1) throw new CodecError('ERR_TOO_SHORT', 'empty ATT PDU');
  const op = b[0];
  const need = (n: number, name: string): void => {
    if (b.length < n) throw new CodecError('ERR_TOO_SHORT', `${name} needs ${n} bytes, got ${b.length}`);
  };
  const exact = (n: number, name: string): void => {
    if (b.length !== n)
      throw new CodecError('ERR_LENGTH_MISMATCH', `${name} needs ${n} bytes, got ${b.length}`);
  };
  switch (op) {
    case AttOp.mtuReq:
      exact(3, 'Exchange MTU Request');
      return { op: 'mtuReq', mtu: b.readUInt16LE(1) };
    case AttOp.findInfoReq:
      exact(5, 'Find Information Request');
      return { op: 'findInfoReq', start: b.readUInt16LE(1), end: b.readUInt16LE(3) };
    case AttOp.findByTypeValueReq:
      need(7, 'Find By Type Value Request');
      return {
        op: 'findByTypeValueReq',
        start: b.readUInt16LE(1),
        end: b.readUInt16LE(3),
        type: b.readUInt16LE(5),
        value: Buffer.from(b.subarray(7)),
      };
    case AttOp.readByTypeReq:
    case AttOp.readByGroupTypeReq: {
      const name = op === AttOp.readByTypeReq ? 'Read By Type Request' : 'Read By Group Type Request';
      if (b.length !== 7 && b.length !== 21) {
        throw new CodecError('ERR_LENGTH_MISMATCH', `${name} needs 7 or 21 bytes, got ${b.length}`);
      }
      return {
        op: op === AttOp.readByTypeReq ? 'readByTypeReq' : 'readByGroupTypeReq',
        start: b.readUInt16LE(1),
        end: b.readUInt16LE(3),
        type: Buffer.from(b.subarray(5)),
      };
    }
    case AttOp.readReq:
      exact(3, 'Read Request');
      return { op: 'readReq', handle: b.readUInt16LE(1) };
    case AttOp.readBlobReq:
      exact(5, 'Read Blob Request');
      return { op: 'readBlobReq', handle: b.readUInt16LE(1), offset: b.readUInt16LE(3) };
    case AttOp.writeReq:
    case AttOp.writeCmd:
      need(3, op === AttOp.writeReq ? 'Write Request' : 'Write Command');
      return {
        op: op === AttOp.writeReq ? 'writeReq' : 'writeCmd',
        handle: b.readUInt16LE(1),
        value: Buffer.from(b.subarray(3)),
      };
    case AttOp.prepareWriteReq:
      need(5, 'Prepare Write Request');
      return {
        op: 'prepareWriteReq',
        handle: b.readUInt16LE(1),
        offset: b.readUInt16LE(3),
        value: Buffer.from(b.subarray(5)),
      };
    case AttOp.executeWriteReq:
      exact(2, 'Execute Write Request');
      return { op: 'executeWriteReq', flags: b[1] };
    case AttOp.confirmation:
      exact(1, 'Handle Value Confirmation');
      return { op: 'confirmation' };
    default:
      return { op: 'other', opcode: op };
  }
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
