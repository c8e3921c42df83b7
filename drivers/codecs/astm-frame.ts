// ASTM E1381 (CLSI LIS1-A) low-level frames, as Bayer/Ascensia Contour meters send them (spec D.3):
//   STX FN <text> ETX|ETB C1 C2 CR LF
// FN is one ASCII digit counting 1..7,0,1.. (mod 8); C1C2 is the sum of the bytes FN..ETX/ETB mod 256 as two
// uppercase hex digits. ETB ends an intermediate frame, ETX the last frame of a message.
import { CodecError } from './codec-error.ts';

export const ASTM_STX = 0x02;
export const ASTM_ETX = 0x03;
export const ASTM_EOT = 0x04;
export const ASTM_ENQ = 0x05;
export const ASTM_ACK = 0x06;
export const ASTM_NAK = 0x15;
export const ASTM_ETB = 0x17;
export const ASTM_CR = 0x0d;
export const ASTM_LF = 0x0a;
/** E1381: at most 240 characters of text per frame. */
export const ASTM_MAX_TEXT = 240;
const OVERHEAD = 7; // STX FN ETX C1 C2 CR LF

export interface AstmFrame {
  /** 0..7. */
  frameNumber: number;
  /** Everything between FN and ETX/ETB; a record's terminating CR is part of it. */
  text: string;
  /** true = ETX (end of message), false = ETB (intermediate). */
  final: boolean;
}

export interface DecodedAstmFrame extends AstmFrame {
  checksum: number;
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

export function nextAstmFrameNumber(fn: number): number {
  return (fn + 1) % 8;
}

/** Sum of the bytes mod 256 (the caller passes FN..ETX/ETB). */
export function astmChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i++) sum = (sum + bytes[i]) & 0xff;
  return sum;
}

function checkText(text: string, what: string): void {
  if (text.length > ASTM_MAX_TEXT) {
    throw new CodecError(
      'ERR_TOO_LONG',
      `${what} text is ${text.length} characters, at most ${ASTM_MAX_TEXT}`,
    );
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== ASTM_CR) || c > 0x7e) {
      throw new CodecError('ERR_MALFORMED', `${what} text holds control byte 0x${hex2(c)} at ${i}`);
    }
  }
}

export function encodeAstmFrame(frame: AstmFrame): Uint8Array {
  if (!Number.isInteger(frame.frameNumber) || frame.frameNumber < 0 || frame.frameNumber > 7) {
    throw new CodecError('ERR_OUT_OF_RANGE', `frame number ${frame.frameNumber} is not 0..7`);
  }
  checkText(frame.text, 'ASTM frame');
  const out = new Uint8Array(frame.text.length + OVERHEAD);
  out[0] = ASTM_STX;
  out[1] = 0x30 + frame.frameNumber;
  for (let i = 0; i < frame.text.length; i++) out[2 + i] = frame.text.charCodeAt(i);
  const end = 2 + frame.text.length;
  out[end] = frame.final ? ASTM_ETX : ASTM_ETB;
  const chk = hex2(astmChecksum(out.subarray(1, end + 1)));
  out[end + 1] = chk.charCodeAt(0);
  out[end + 2] = chk.charCodeAt(1);
  out[end + 3] = ASTM_CR;
  out[end + 4] = ASTM_LF;
  return out;
}

/**
 * Length of the frame at the start of `bytes` (which begins with STX), or 0 while it is incomplete.
 * Throws when what is there can no longer become a frame (text too long, a second STX inside).
 */
export function astmFrameLength(bytes: Uint8Array): number {
  if (bytes.length === 0) return 0;
  if (bytes[0] !== ASTM_STX) throw new CodecError('ERR_MALFORMED', 'ASTM frame does not start with STX');
  const limit = Math.min(bytes.length, ASTM_MAX_TEXT + OVERHEAD);
  for (let i = 2; i < limit; i++) {
    const b = bytes[i];
    if (b === ASTM_ETX || b === ASTM_ETB) return bytes.length >= i + 5 ? i + 5 : 0;
    if (b === ASTM_STX || b === ASTM_EOT || b === ASTM_ENQ) {
      throw new CodecError('ERR_MALFORMED', `ASTM frame cut short: control byte 0x${hex2(b)} at ${i}`);
    }
  }
  if (bytes.length >= ASTM_MAX_TEXT + OVERHEAD) {
    throw new CodecError('ERR_TOO_LONG', 'ASTM frame has no ETX/ETB within 240 characters');
  }
  return 0;
}

export function decodeAstmFrame(bytes: Uint8Array): DecodedAstmFrame {
  if (bytes.length < OVERHEAD) throw new CodecError('ERR_TOO_SHORT', `ASTM frame is ${bytes.length} bytes`);
  if (bytes.length > ASTM_MAX_TEXT + OVERHEAD) {
    throw new CodecError('ERR_TOO_LONG', `ASTM frame is ${bytes.length} bytes`);
  }
  if (bytes[0] !== ASTM_STX) throw new CodecError('ERR_MALFORMED', 'ASTM frame does not start with STX');
  const n = bytes.length;
  if (bytes[n - 2] !== ASTM_CR || bytes[n - 1] !== ASTM_LF) {
    throw new CodecError('ERR_MALFORMED', 'ASTM frame does not end with CR LF');
  }
  const endByte = bytes[n - 5];
  if (endByte !== ASTM_ETX && endByte !== ASTM_ETB) {
    throw new CodecError('ERR_MALFORMED', 'ASTM frame has no ETX/ETB before its checksum');
  }
  const fnChar = bytes[1];
  if (fnChar < 0x30 || fnChar > 0x37) {
    throw new CodecError('ERR_MALFORMED', `ASTM frame number byte 0x${hex2(fnChar)} is not a digit 0..7`);
  }
  const chkText = String.fromCharCode(bytes[n - 4], bytes[n - 3]);
  if (!/^[0-9A-F]{2}$/.test(chkText)) {
    throw new CodecError(
      'ERR_MALFORMED',
      `ASTM checksum ${JSON.stringify(chkText)} is not two uppercase hex digits`,
    );
  }
  const text = String.fromCharCode(...bytes.subarray(2, n - 5));
  checkText(text, 'ASTM frame');
  const checksum = Number.parseInt(chkText, 16);
  const computed = astmChecksum(bytes.subarray(1, n - 4));
  if (checksum !== computed) {
    throw new CodecError(
      'ERR_CHECKSUM_MISMATCH',
      `ASTM checksum ${chkText} does not match computed ${hex2(computed)}`,
    );
  }
  return { frameNumber: fnChar - 0x30, text, final: endByte === ASTM_ETX, checksum };
}

/**
 * Cuts one record (without its CR) into frames: the CR is appended, text is split into 240-character pieces,
 * every piece but the last ends in ETB. `last` marks the record as the last of the message (ETX); otherwise its
 * final frame ends in ETB too, as Contour meters do.
 */
export function encodeAstmRecordFrames(record: string, firstFrameNumber: number, last: boolean): AstmFrame[] {
  const text = record + '\r';
  const frames: AstmFrame[] = [];
  let fn = firstFrameNumber;
  for (let at = 0; at < text.length; at += ASTM_MAX_TEXT) {
    const piece = text.slice(at, at + ASTM_MAX_TEXT);
    const isLast = at + ASTM_MAX_TEXT >= text.length;
    frames.push({ frameNumber: fn, text: piece, final: isLast && last });
    fn = nextAstmFrameNumber(fn);
  }
  return frames;
}
