import assert from 'node:assert/strict';
import { decodeOneTouchFrame } from '../../../drivers/codecs/onetouch-frame.ts';
import {
  decodeUltraEasyRecord,
  ultraEasySeconds,
} from '../../../drivers/codecs/onetouch-ultraeasy-messages.ts';
import { dumpSuite } from './dump-suite.ts';

dumpSuite({
  protocol: 'onetouch-ultraeasy',
  serial: 'C2XB1234',
  deviceTime: (t) => t,
  checkRaw: (raw, r) => {
    // The exact answer frame: it must decode (CRC included) to this record.
    const rec = decodeUltraEasyRecord(decodeOneTouchFrame(Buffer.from(raw, 'hex')).message);
    assert.deepEqual([rec.timestamp, rec.value], [ultraEasySeconds(r.time), r.value]);
  },
  supportsFlags: false,
  recordFaults: ['bad-checksum', 'nak', 'cut', 'noise', 'silence'],
  harmless: ['noise'],
});
