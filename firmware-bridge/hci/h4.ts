// HCI UART transport (H4): one indicator byte, then a command, ACL or event packet.
// The parser is incremental because a pty delivers arbitrary slices of the byte stream.
import { CodecError } from '../../drivers/codecs/codec-error.ts';

export const H4_COMMAND = 0x01;
export const H4_ACL = 0x02;
export const H4_EVENT = 0x04;

export type H4Packet =
  | { type: 'command'; opcode: number; params: Buffer }
  | { type: 'acl'; handle: number; pb: number; bc: number; data: Buffer }
  | { type: 'event'; code: number; params: Buffer };

export function encodeCommand(opcode: number, params: Uint8Array = Buffer.alloc(0)): Buffer {
  checkUint('opcode', opcode, 0xffff);
  if (params.length > 0xff) throw new CodecError('ERR_TOO_LONG', `command params ${params.length} > 255`);
  const out = Buffer.alloc(4 + params.length);
  out[0] = H4_COMMAND;
  out.writeUInt16LE(opcode, 1);
  out[3] = params.length;
  out.set(params, 4);
  return out;
}

export function encodeEvent(code: number, params: Uint8Array = Buffer.alloc(0)): Buffer {
  checkUint('event code', code, 0xff);
  if (params.length > 0xff) throw new CodecError('ERR_TOO_LONG', `event params ${params.length} > 255`);
  const out = Buffer.alloc(3 + params.length);
  out[0] = H4_EVENT;
  out[1] = code;
  out[2] = params.length;
  out.set(params, 3);
  return out;
}

/** pb: packet boundary flag (0 first non-flushable, 1 continuation, 2 first flushable); bc: broadcast flag. */
export function encodeAcl(handle: number, pb: number, data: Uint8Array, bc = 0): Buffer {
  checkUint('connection handle', handle, 0x0eff);
  checkUint('packet boundary flag', pb, 3);
  checkUint('broadcast flag', bc, 3);
  if (data.length > 0xffff) throw new CodecError('ERR_TOO_LONG', `ACL data ${data.length} > 65535`);
  const out = Buffer.alloc(5 + data.length);
  out[0] = H4_ACL;
  out.writeUInt16LE(handle | (pb << 12) | (bc << 14), 1);
  out.writeUInt16LE(data.length, 3);
  out.set(data, 5);
  return out;
}

export function encodeH4(packet: H4Packet): Buffer {
  switch (packet.type) {
    case 'command':
      return encodeCommand(packet.opcode, packet.params);
    case 'event':
      return encodeEvent(packet.code, packet.params);
    case 'acl':
      return encodeAcl(packet.handle, packet.pb, packet.data, packet.bc);
  }
}

/** Decodes exactly one complete packet (indicator byte included). */
export function decodeH4(bytes: Uint8Array): H4Packet {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const size = h4PacketSize(buf);
  if (size === 0) throw new CodecError('ERR_TOO_SHORT', `H4 packet header incomplete (${buf.length} bytes)`);
  if (size < 0)
    throw new CodecError('ERR_UNKNOWN_OPCODE', `H4 packet indicator 0x${hex(buf[0])} is not 01/02/04`);
  if (buf.length !== size) {
    throw new CodecError('ERR_LENGTH_MISMATCH', `H4 packet has ${buf.length} bytes, header says ${size}`);
  }
  return parseComplete(buf);
}

/** Total size of the packet at the start of buf; 0 if the header is incomplete, -1 for a bad indicator. */
export function h4PacketSize(buf: Uint8Array): number {
  if (buf.length < 1) return 0;
  switch (buf[0]) {
    case H4_COMMAND:
      return buf.length < 4 ? 0 : 4 + buf[3];
    case H4_EVENT:
      return buf.length < 3 ? 0 : 3 + buf[2];
    case H4_ACL:
      return buf.length < 5 ? 0 : 5 + (buf[3] | (buf[4] << 8));
    default:
      return -1;
  }
}

function parseComplete(buf: Buffer): H4Packet {
  switch (buf[0]) {
    case H4_COMMAND:
      return { type: 'command', opcode: buf.readUInt16LE(1), params: Buffer.from(buf.subarray(4)) };
    case H4_EVENT:
      return { type: 'event', code: buf[1], params: Buffer.from(buf.subarray(3)) };
    default: {
      const word = buf.readUInt16LE(1);
      return {
        type: 'acl',
        handle: word & 0x0fff,
        pb: (word >> 12) & 0x3,
        bc: (word >> 14) & 0x3,
        data: Buffer.from(buf.subarray(5)),
      };
    }
  }
}

/**
 * Incremental H4 deframer. Unlike noble's parser (which drops its whole buffer on a bad indicator) it
 * skips single bytes until a valid indicator, as a controller's UART driver resynchronises; skipped
 * bytes are counted in `discarded`.
 */
export class H4Parser {
  private pending: Buffer = Buffer.alloc(0);
  discarded = 0;

  push(chunk: Uint8Array): H4Packet[] {
    const out: H4Packet[] = [];
    let buf = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    let pos = 0;
    while (pos < buf.length) {
      const view = buf.subarray(pos);
      const size = h4PacketSize(view);
      if (size < 0) {
        pos++;
        this.discarded++;
        continue;
      }
      if (size === 0 || view.length < size) break;
      out.push(parseComplete(view.subarray(0, size)));
      pos += size;
    }
    buf = buf.subarray(pos);
    this.pending = Buffer.from(buf);
    return out;
  }

  get buffered(): number {
    return this.pending.length;
  }

  reset(): void {
    this.pending = Buffer.alloc(0);
  }
}

function checkUint(what: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new CodecError('ERR_OUT_OF_RANGE', `${what} ${value} is not an integer in 0..${max}`);
  }
}

function hex(n: number | undefined): string {
  return (n ?? 0).toString(16).padStart(2, '0');
}
