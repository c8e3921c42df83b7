// LifeScan OneTouch Ultra 2 "DM" text protocol, framing layer: commands out, checksummed reply lines in.
// Command: DC1 CR <command> CR. Reply: `<payload> <CHK>\r\n`, CHK = 16-bit sum of the payload's ASCII bytes
// as 4 hex digits (spec D.1).
import { CodecError } from './codec-error.ts';

const DC1 = 0x11;
const CR = 0x0d;
/** Longest payload we accept; real replies are under 80 characters, so anything longer is line noise. */
export const ONETOUCH_MAX_PAYLOAD = 200;

export interface OneTouchLine {
  payload: string;
  checksum: number;
}

function assertPrintable(text: string, what: string): void {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) {
      throw new CodecError(
        'ERR_MALFORMED',
        `${what}: character 0x${c.toString(16).padStart(2, '0')} at ${i} is not printable ASCII`,
      );
    }
  }
}

/** The 16-bit sum (mod 0x10000) of the payload's bytes. */
export function oneTouchChecksum(payload: string): number {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) sum = (sum + payload.charCodeAt(i)) & 0xffff;
  return sum;
}

/** `DMF` → bytes `11 0D 44 4D 46 0D`. */
export function encodeOneTouchCommand(command: string): Uint8Array {
  if (command.length === 0) throw new CodecError('ERR_INVALID_ARGUMENT', 'OneTouch command is empty');
  if (command.length > ONETOUCH_MAX_PAYLOAD) {
    throw new CodecError('ERR_TOO_LONG', `OneTouch command is ${command.length} characters`);
  }
  assertPrintable(command, 'OneTouch command');
  const out = new Uint8Array(command.length + 3);
  out[0] = DC1;
  out[1] = CR;
  for (let i = 0; i < command.length; i++) out[i + 2] = command.charCodeAt(i);
  out[out.length - 1] = CR;
  return out;
}

/** Inverse of encodeOneTouchCommand, used by the simulated meter. */
export function decodeOneTouchCommand(bytes: Uint8Array): string {
  if (bytes.length < 4) throw new CodecError('ERR_TOO_SHORT', `OneTouch command is ${bytes.length} bytes`);
  if (bytes.length > ONETOUCH_MAX_PAYLOAD + 3) {
    throw new CodecError('ERR_TOO_LONG', `OneTouch command is ${bytes.length} bytes`);
  }
  if (bytes[0] !== DC1 || bytes[1] !== CR || bytes[bytes.length - 1] !== CR) {
    throw new CodecError('ERR_MALFORMED', 'OneTouch command is not framed as DC1 CR <command> CR');
  }
  const text = String.fromCharCode(...bytes.subarray(2, bytes.length - 1));
  assertPrintable(text, 'OneTouch command');
  return text;
}

/** `T` → `T 0054\r\n`. */
export function encodeOneTouchLine(payload: string): string {
  if (payload.length === 0) throw new CodecError('ERR_INVALID_ARGUMENT', 'OneTouch payload is empty');
  if (payload.length > ONETOUCH_MAX_PAYLOAD) {
    throw new CodecError('ERR_TOO_LONG', `OneTouch payload is ${payload.length} characters`);
  }
  assertPrintable(payload, 'OneTouch payload');
  const chk = oneTouchChecksum(payload).toString(16).toUpperCase().padStart(4, '0');
  return `${payload} ${chk}\r\n`;
}

/** Verifies and strips the checksum of one reply line; the trailing CR LF is optional. */
export function decodeOneTouchLine(line: string): OneTouchLine {
  let text = line;
  if (text.endsWith('\r\n')) text = text.slice(0, -2);
  else if (text.endsWith('\n') || text.endsWith('\r')) text = text.slice(0, -1);
  if (text.length < 6) throw new CodecError('ERR_TOO_SHORT', `OneTouch line is ${text.length} characters`);
  if (text.length > ONETOUCH_MAX_PAYLOAD + 5) {
    throw new CodecError('ERR_TOO_LONG', `OneTouch line is ${text.length} characters`);
  }
  assertPrintable(text, 'OneTouch line');
  const chkText = text.slice(-4);
  if (text[text.length - 5] !== ' ' || !/^[0-9A-Fa-f]{4}$/.test(chkText)) {
    throw new CodecError('ERR_MALFORMED', 'OneTouch line does not end in a space and 4 hex digits');
  }
  const payload = text.slice(0, -5);
  const checksum = Number.parseInt(chkText, 16);
  const computed = oneTouchChecksum(payload);
  if (checksum !== computed) {
    throw new CodecError(
      'ERR_CHECKSUM_MISMATCH',
      `OneTouch line checksum ${chkText} does not match computed ${computed.toString(16).toUpperCase().padStart(4, '0')}`,
    );
  }
  return { payload, checksum };
}
