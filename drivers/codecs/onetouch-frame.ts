// LifeScan binary link frames (OneTouch Ultra Easy / UltraMini, spec D.2):
// STX, LEN (= message length + 6), link control, message, ETX, CRC-16/CCITT-FALSE little-endian over STX..ETX.
import { CodecError } from './codec-error.ts';
import { crc16CcittFalse } from './onetouch-crc.ts';

const STX = 0x02;
const ETX = 0x03;
export const ONETOUCH_FRAME_OVERHEAD = 6;
export const ONETOUCH_FRAME_MAX = 0xff;

/** Link-control bits. Bits 5..7 are always zero. */
export interface OneTouchLinkControl {
  /** bit 0 S: the sender's sequence bit, toggled per new message. */
  sequence: boolean;
  /** bit 1 E: the sequence bit the sender expects to receive next. */
  expectReceive: boolean;
  /** bit 2: this frame acknowledges the last one received. */
  ack: boolean;
  /** bit 3: link reset. */
  disconnect: boolean;
  /** bit 4: more frames follow. */
  more: boolean;
}

export interface OneTouchFrame {
  link: OneTouchLinkControl;
  message: Uint8Array;
}

export function encodeLinkControl(l: OneTouchLinkControl): number {
  return (
    (l.sequence ? 0x01 : 0) |
    (l.expectReceive ? 0x02 : 0) |
    (l.ack ? 0x04 : 0) |
    (l.disconnect ? 0x08 : 0) |
    (l.more ? 0x10 : 0)
  );
}

export function decodeLinkControl(byte: number): OneTouchLinkControl {
  if (!Number.isInteger(byte) || byte < 0 || byte > 0xff) {
    throw new CodecError('ERR_INVALID_ARGUMENT', `link control ${byte} is not a byte`);
  }
  if (byte & 0xe0) {
    throw new CodecError(
      'ERR_RESERVED_VALUE',
      `link control 0x${byte.toString(16).padStart(2, '0')} sets reserved bits 5..7`,
    );
  }
  return {
    sequence: (byte & 0x01) !== 0,
    expectReceive: (byte & 0x02) !== 0,
    ack: (byte & 0x04) !== 0,
    disconnect: (byte & 0x08) !== 0,
    more: (byte & 0x10) !== 0,
  };
}

export function encodeOneTouchFrame(frame: OneTouchFrame): Uint8Array {
  const len = frame.message.length + ONETOUCH_FRAME_OVERHEAD;
  if (len > ONETOUCH_FRAME_MAX) {
    throw new CodecError('ERR_TOO_LONG', `message of ${frame.message.length} bytes does not fit a frame`);
  }
  const out = new Uint8Array(len);
  out[0] = STX;
  out[1] = len;
  out[2] = encodeLinkControl(frame.link);
  out.set(frame.message, 3);
  out[len - 3] = ETX;
  const crc = crc16CcittFalse(out.subarray(0, len - 2));
  out[len - 2] = crc & 0xff;
  out[len - 1] = crc >> 8;
  return out;
}

/**
 * How many bytes of `bytes` (starting at STX) form the next frame: 0 = need more bytes. Used by the stream
 * reader to cut frames without decoding them; the length byte is validated here so a bad one is caught early.
 */
export function oneTouchFrameLength(bytes: Uint8Array): number {
  if (bytes.length === 0) return 0;
  if (bytes[0] !== STX) throw new CodecError('ERR_MALFORMED', 'OneTouch frame does not start with STX');
  if (bytes.length < 2) return 0;
  const len = bytes[1];
  if (len < ONETOUCH_FRAME_OVERHEAD)
    throw new CodecError('ERR_TOO_SHORT', `OneTouch frame length byte is ${len}`);
  return bytes.length >= len ? len : 0;
}

export function decodeOneTouchFrame(bytes: Uint8Array): OneTouchFrame {
  if (bytes.length < ONETOUCH_FRAME_OVERHEAD) {
    throw new CodecError('ERR_TOO_SHORT', `OneTouch frame is ${bytes.length} bytes, at least 6 needed`);
  }
  if (bytes[0] !== STX) throw new CodecError('ERR_MALFORMED', 'OneTouch frame does not start with STX');
  const len = bytes[1];
  if (len !== bytes.length) {
    throw new CodecError('ERR_LENGTH_MISMATCH', `OneTouch frame says ${len} bytes but is ${bytes.length}`);
  }
  if (bytes[len - 3] !== ETX)
    throw new CodecError('ERR_MALFORMED', 'OneTouch frame has no ETX before its CRC');
  const crc = bytes[len - 2] | (bytes[len - 1] << 8);
  const computed = crc16CcittFalse(bytes.subarray(0, len - 2));
  if (crc !== computed) {
    throw new CodecError(
      'ERR_CRC_MISMATCH',
      `OneTouch frame CRC 0x${crc.toString(16).padStart(4, '0')} != computed 0x${computed.toString(16).padStart(4, '0')}`,
    );
  }
  return { link: decodeLinkControl(bytes[2]), message: bytes.slice(3, len - 3) };
}
