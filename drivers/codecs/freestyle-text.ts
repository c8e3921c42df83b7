// FreeStyle text replies and multi-record logs (glucometer-protocols abbott/shared-hid-protocol.md, "Text
// commands" and "Multiple records commands"; glucometerutils support/freestyle.py `_TEXT_REPLY_FORMAT`,
// `_MULTIRECORDS_FORMAT`, `_verify_checksum`):
//   reply  = message "CKSM:" 8HEXDIG CRLF "CMD" SP ("OK" / "Fail!") CRLF
//   log    = *(record CRLF) count "," 8HEXDIG CRLF        / "Log Empty" CRLF
// Both checksums are the plain sum of the bytes before them (for a log: the records with their CRLFs).
import { CodecError } from './codec-error.ts';

export interface FreeStyleTextReply {
  /** The message text, CRLFs kept. */
  message: string;
  ok: boolean;
}

const REPLY_RE = /^([\s\S]*)CKSM:([0-9A-F]{8})\r\nCMD (OK|Fail!)\r\n$/;
const END_RE = /CMD (OK|Fail!)\r\n$/;
const LOG_RE = /^([\s\S]*\r\n)?(\d+),([0-9A-F]{8})\r\n$/;

export function freeStyleChecksum(text: string): number {
  let sum = 0;
  for (let i = 0; i < text.length; i++) sum = (sum + text.charCodeAt(i)) >>> 0;
  return sum;
}

const hex8 = (n: number): string => n.toString(16).toUpperCase().padStart(8, '0');

/** True once the reply text so far has its closing `CMD OK`/`CMD Fail!` line. */
export function freeStyleReplyComplete(text: string): boolean {
  return END_RE.test(text);
}

export function decodeFreeStyleReply(text: string): FreeStyleTextReply {
  const m = REPLY_RE.exec(text);
  if (!m)
    throw new CodecError(
      'ERR_MALFORMED',
      `FreeStyle reply ${JSON.stringify(text.slice(-40))} has no CKSM/CMD trailer`,
    );
  const [, message, cksm, status] = m;
  const computed = freeStyleChecksum(message);
  if (Number.parseInt(cksm, 16) !== computed) {
    throw new CodecError(
      'ERR_CHECKSUM_MISMATCH',
      `FreeStyle reply checksum ${cksm} != computed ${hex8(computed)}`,
    );
  }
  return { message, ok: status === 'OK' };
}

export function encodeFreeStyleReply(message: string, ok = true): string {
  if (!/^[\x20-\x7e\r\n]*$/.test(message))
    throw new CodecError('ERR_INVALID_ARGUMENT', 'reply text is not ASCII');
  return `${message}CKSM:${hex8(freeStyleChecksum(message))}\r\nCMD ${ok ? 'OK' : 'Fail!'}\r\n`;
}

export interface FreeStyleLog {
  /** Each record as the meter wrote it (no CRLF). */
  lines: string[];
}

export function decodeFreeStyleLog(message: string): FreeStyleLog {
  if (message === 'Log Empty\r\n') return { lines: [] };
  const m = LOG_RE.exec(message);
  if (!m)
    throw new CodecError(
      'ERR_MALFORMED',
      `FreeStyle log does not end with count,checksum: ${JSON.stringify(message.slice(-40))}`,
    );
  const body = m[1] ?? '';
  const computed = freeStyleChecksum(body);
  if (Number.parseInt(m[3], 16) !== computed) {
    throw new CodecError(
      'ERR_CHECKSUM_MISMATCH',
      `FreeStyle log checksum ${m[3]} != computed ${hex8(computed)}`,
    );
  }
  const lines = body === '' ? [] : body.slice(0, -2).split('\r\n');
  if (lines.length !== Number(m[2])) {
    throw new CodecError(
      'ERR_LENGTH_MISMATCH',
      `FreeStyle log says ${m[2]} records but holds ${lines.length}`,
    );
  }
  return { lines };
}

export function encodeFreeStyleLog(lines: string[]): string {
  if (lines.length === 0) return 'Log Empty\r\n';
  for (const l of lines) {
    if (!/^[\x20-\x7e]*$/.test(l))
      throw new CodecError('ERR_INVALID_ARGUMENT', 'log record is not printable ASCII');
  }
  const body = lines.map((l) => `${l}\r\n`).join('');
  return `${body}${lines.length},${hex8(freeStyleChecksum(body))}\r\n`;
}
