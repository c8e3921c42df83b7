// `decode` kinds for the serial meters. The CLI hands over bytes (hex on the command line), so text lines and
// records are given as the hex of their characters, e.g. `printf 'L|1||N' | xxd -p`.
import { decodeAstmFrame } from '../../../drivers/codecs/astm-frame.ts';
import {
  decodeContourHeader,
  decodeContourResult,
  decodeContourTerminator,
} from '../../../drivers/codecs/astm-contour.ts';
import {
  astmComponents,
  decodeAstmRecord,
  decodeAstmDelimiters,
} from '../../../drivers/codecs/astm-record.ts';
import { CodecError } from '../../../drivers/codecs/codec-error.ts';
import { decodeOneTouchFrame } from '../../../drivers/codecs/onetouch-frame.ts';
import { decodeOneTouchLine } from '../../../drivers/codecs/onetouch-ultra2-line.ts';
import {
  decodeUltra2Clock,
  decodeUltra2DumpHeader,
  decodeUltra2Record,
  decodeUltra2Serial,
  decodeUltra2Unit,
} from '../../../drivers/codecs/onetouch-ultra2-payload.ts';
import { decodeUltraEasyRequest } from '../../../drivers/codecs/onetouch-ultraeasy-messages.ts';
import type { DecodeKinds } from './types.ts';

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** What an Ultra 2 reply payload says, by its leading characters. */
function ultra2Payload(payload: string): Record<string, unknown> {
  if (payload.startsWith('P "')) return { type: 'record', ...decodeUltra2Record(payload) };
  if (payload.startsWith('P ')) return { type: 'dump-header', ...decodeUltra2DumpHeader(payload) };
  if (payload.startsWith('F ') || payload.startsWith('T '))
    return { type: 'clock', ...decodeUltra2Clock(payload) };
  if (payload.startsWith('@ ')) return { type: 'serial', serial: decodeUltra2Serial(payload) };
  if (payload.startsWith('SU?')) return { type: 'unit', unit: decodeUltra2Unit(payload) };
  if (payload.startsWith('?')) return { type: 'version', version: payload.slice(1) };
  return { type: 'unknown' };
}

/** Strips the CR (and LF) that end a record on the wire. */
function recordText(bytes: Uint8Array): string {
  return text(bytes)
    .replace(/\r?\n?$/, '')
    .replace(/\r$/, '');
}

export const kinds: DecodeKinds = {
  'onetouch-line': (bytes) => {
    const line = decodeOneTouchLine(text(bytes));
    return { payload: line.payload, checksum: line.checksum, ...ultra2Payload(line.payload) };
  },

  'onetouch-frame': (bytes) => {
    const frame = decodeOneTouchFrame(bytes);
    const out: Record<string, unknown> = { link: frame.link, message: hex(frame.message) };
    if (frame.message.length > 0) {
      try {
        out.request = decodeUltraEasyRequest(frame.message);
      } catch (err) {
        if (!(err instanceof CodecError)) throw err; // a response: its meaning depends on the request
      }
    }
    return out;
  },

  'astm-frame': (bytes) => {
    const f = decodeAstmFrame(bytes);
    return {
      frameNumber: f.frameNumber,
      final: f.final,
      checksum: f.checksum,
      text: f.text,
      records: f.text.split('\r').slice(0, -1),
    };
  },

  'astm-record': (bytes) => {
    const t = recordText(bytes);
    const rec = decodeAstmRecord(t);
    const out: Record<string, unknown> = { type: rec.type, fields: rec.fields };
    if (rec.type === 'H') {
      const d = decodeAstmDelimiters(t);
      out.delimiters = d;
      try {
        out.contour = decodeContourHeader(rec);
      } catch (err) {
        if (!(err instanceof CodecError)) throw err;
        out.components = rec.fields.slice(2).map((f) => astmComponents(f, d));
      }
    } else if (rec.type === 'R') {
      out.contour = decodeContourResult(rec);
    } else if (rec.type === 'L') {
      out.terminator = decodeContourTerminator(rec);
    }
    return out;
  },
};
