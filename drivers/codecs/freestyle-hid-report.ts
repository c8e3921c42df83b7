// Abbott FreeStyle "shared HID protocol" reports (glucometer-protocols abbott/shared-hid-protocol.md;
// glucometerutils support/freestyle.py before freestyle-hid, `_FREESTYLE_MESSAGE`):
//   report = message-type message-length payload padding      (64 bytes, no report number)
//   message-length = number of payload bytes, 0..62 (0x3E)
// Bytes after the payload are left-overs of the meter's buffer ("a lot of garbage", freestyle-libre.md).
import { CodecError } from './codec-error.ts';

export const FREESTYLE_REPORT_SIZE = 64;
export const FREESTYLE_MAX_PAYLOAD = 62;

/** Message types every model shares (shared-hid-protocol.md). */
export const FREESTYLE_TYPE = {
  INIT: 0x01,
  INIT_REPLY: 0x71,
  /** The "synchronization packet" some meters slip in every few reports: `22 01 xx`, to be skipped. */
  KEEPALIVE: 0x22,
  /** `30 01 85`: the meter did not know the message type it was sent. */
  UNKNOWN_COMMAND: 0x30,
  /** Text commands and their replies on the Neo, InsuLinx and Libre. */
  TEXT: 0x60,
} as const;

export interface FreeStyleReport {
  type: number;
  payload: Uint8Array;
}

export function encodeFreeStyleReport(r: FreeStyleReport): Uint8Array {
  if (!Number.isInteger(r.type) || r.type < 0 || r.type > 0xff) {
    throw new CodecError('ERR_INVALID_ARGUMENT', `FreeStyle message type ${r.type} is not a byte`);
  }
  if (r.payload.length > FREESTYLE_MAX_PAYLOAD) {
    throw new CodecError('ERR_TOO_LONG', `FreeStyle payload is ${r.payload.length} bytes, at most 62`);
  }
  const out = new Uint8Array(FREESTYLE_REPORT_SIZE);
  out[0] = r.type;
  out[1] = r.payload.length;
  out.set(r.payload, 2);
  return out;
}

export function decodeFreeStyleReport(report: Uint8Array): FreeStyleReport {
  if (report.length < 2) throw new CodecError('ERR_TOO_SHORT', `FreeStyle report is ${report.length} bytes`);
  if (report.length > FREESTYLE_REPORT_SIZE) {
    throw new CodecError('ERR_TOO_LONG', `FreeStyle report is ${report.length} bytes, at most 64`);
  }
  const len = report[1];
  if (len > FREESTYLE_MAX_PAYLOAD) {
    throw new CodecError('ERR_OUT_OF_RANGE', `FreeStyle message length ${len} is over 62`);
  }
  if (2 + len > report.length) {
    throw new CodecError(
      'ERR_LENGTH_MISMATCH',
      `FreeStyle report says ${len} bytes but carries ${report.length - 2}`,
    );
  }
  return { type: report[0], payload: report.slice(2, 2 + len) };
}

/** Cuts a text command into reports of type `type` (commands are short; a long one is an error). */
export function encodeFreeStyleText(type: number, text: string): Uint8Array {
  if (!/^[\x20-\x7e]*$/.test(text))
    throw new CodecError('ERR_INVALID_ARGUMENT', 'FreeStyle command is not ASCII');
  return encodeFreeStyleReport({ type, payload: Buffer.from(text, 'latin1') });
}
