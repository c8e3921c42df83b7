// Contour USB / Contour Next USB and Link: ASTM E1381 bytes carried in 64-byte HID reports (spec D.3).
//   report = "ABC" length payload padding    length = number of payload bytes, 0..60
// glucometerutils (support/contourusb.py `write`) sends "ABC" + length + data padded with zeros to 64 bytes;
// both it (`read`) and Tidepool (bayerContourNext.js `extractPacketIntoMessage`) take byte 3 as the length of
// the meaningful bytes from byte 4 on and ignore the first three. A message longer than one report goes on in
// the next report: a report carrying the full 60 bytes means "more follows" (glucometerutils `read`).
import { CodecError } from './codec-error.ts';

export const CONTOUR_REPORT_SIZE = 64;
export const CONTOUR_REPORT_PAYLOAD = 60;
const PREFIX = [0x41, 0x42, 0x43]; // "ABC"

export interface ContourReport {
  /** The meaningful bytes (at most 60). */
  payload: Uint8Array;
  /** true when the report is full: the message goes on in the next report. */
  more: boolean;
}

export function encodeContourReport(payload: Uint8Array): Uint8Array {
  if (payload.length > CONTOUR_REPORT_PAYLOAD) {
    throw new CodecError('ERR_TOO_LONG', `Contour report payload is ${payload.length} bytes, at most 60`);
  }
  const out = new Uint8Array(CONTOUR_REPORT_SIZE);
  out.set(PREFIX, 0);
  out[3] = payload.length;
  out.set(payload, 4);
  return out;
}

/** Cuts a message into reports; a message that fills its last report exactly gets an empty report after it. */
export function encodeContourMessage(message: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; ; at += CONTOUR_REPORT_PAYLOAD) {
    const piece = message.subarray(at, at + CONTOUR_REPORT_PAYLOAD);
    out.push(encodeContourReport(piece));
    if (piece.length < CONTOUR_REPORT_PAYLOAD) return out;
  }
}

/** The prefix is not checked (Tidepool leaves it blank on the way out and never reads it). */
export function decodeContourReport(report: Uint8Array): ContourReport {
  if (report.length < 4) throw new CodecError('ERR_TOO_SHORT', `Contour report is ${report.length} bytes`);
  if (report.length > CONTOUR_REPORT_SIZE) {
    throw new CodecError('ERR_TOO_LONG', `Contour report is ${report.length} bytes, at most 64`);
  }
  const len = report[3];
  if (len > CONTOUR_REPORT_PAYLOAD) {
    throw new CodecError('ERR_OUT_OF_RANGE', `Contour report length byte ${len} is over 60`);
  }
  if (4 + len > report.length) {
    throw new CodecError(
      'ERR_LENGTH_MISMATCH',
      `Contour report says ${len} bytes but carries ${report.length - 4}`,
    );
  }
  return { payload: report.slice(4, 4 + len), more: len === CONTOUR_REPORT_PAYLOAD };
}

/** Joins reports into messages (one ASTM frame, or control bytes). */
export class ContourMessageAssembler {
  private parts: Uint8Array[] = [];
  private size = 0;

  /** Feeds one report; returns the message it completed, or null while more reports belong to it. */
  push(report: Uint8Array): Uint8Array | null {
    const { payload, more } = decodeContourReport(report);
    this.parts.push(payload);
    this.size += payload.length;
    if (this.size > 64 * 1024) {
      this.reset();
      throw new CodecError('ERR_TOO_LONG', 'Contour message runs over 64 KiB without an end');
    }
    if (more) return null;
    const message = Buffer.concat(this.parts);
    this.reset();
    return new Uint8Array(message);
  }

  reset(): void {
    this.parts = [];
    this.size = 0;
  }
}
