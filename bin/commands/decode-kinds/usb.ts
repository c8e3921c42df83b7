// `decode` kinds for the USB meters (docs/usb-meters.md): HID reports and SCSI register blocks as hex; text
// (FreeStyle replies and records) as the hex of its characters, e.g. `printf '12,8,16\r\nCKSM:…' | xxd -p`.
import { decodeContourReport } from '../../../drivers/codecs/contour-hid-report.ts';
import { decodeContourNextResult } from '../../../drivers/codecs/contour-next-result.ts';
import { decodeFreeStyleReport } from '../../../drivers/codecs/freestyle-hid-report.ts';
import { decodeFreeStyleResult } from '../../../drivers/codecs/freestyle-records.ts';
import { decodeFreeStyleLog, decodeFreeStyleReply } from '../../../drivers/codecs/freestyle-text.ts';
import { decodeScsiCdb } from '../../../drivers/codecs/scsi-cdb.ts';
import {
  decodeVerioBlock,
  decodeVerioQuery,
  decodeVerioRecord,
  decodeVerioRecordCount,
  decodeVerioRequest,
  decodeVerioRtc,
} from '../../../drivers/codecs/verio-messages.ts';
import type { DecodeKinds } from './types.ts';

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** A Verio answer by its length (each answer has its own). */
function verioAnswer(m: Uint8Array): Record<string, unknown> {
  if (m.length === 18) return { type: 'record', ...decodeVerioRecord(m) };
  if (m.length === 6 && m[1] === 0x06) return { type: 'rtc-or-unit', ...decodeVerioRtc(m) };
  if (m.length === 4) return { type: 'record-count', count: decodeVerioRecordCount(m) };
  return { type: 'query', text: decodeVerioQuery(m) };
}

export const kinds: DecodeKinds = {
  'contour-hid-report': (bytes) => {
    const r = decodeContourReport(bytes);
    return {
      length: r.payload.length,
      more: r.more,
      payloadHex: hex(r.payload),
      payloadText: text(r.payload),
    };
  },
  'contour-next-result': (bytes) => decodeContourNextResult(text(bytes)),
  'freestyle-hid-report': (bytes) => {
    const r = decodeFreeStyleReport(bytes);
    return {
      type: r.type,
      length: r.payload.length,
      payloadHex: hex(r.payload),
      payloadText: text(r.payload),
    };
  },
  'freestyle-reply': (bytes) => {
    const r = decodeFreeStyleReply(text(bytes));
    return /\r\n\d+,[0-9A-F]{8}\r\n$|^Log Empty\r\n$/.test(r.message)
      ? { ...r, log: decodeFreeStyleLog(r.message).lines }
      : r;
  },
  'freestyle-neo-record': (bytes) => decodeFreeStyleResult('neo', text(bytes)),
  'freestyle-libre-record': (bytes) => decodeFreeStyleResult('libre', text(bytes)),
  'verio-request': (bytes) => decodeVerioRequest(decodeVerioBlock(bytes)),
  'verio-answer': (bytes) => verioAnswer(decodeVerioBlock(bytes)),
  'scsi-cdb': (bytes) => decodeScsiCdb(bytes),
};
