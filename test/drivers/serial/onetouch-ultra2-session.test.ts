import assert from 'node:assert/strict';
import { ultra2RecordLine } from '../../../firmware-bridge/meters/onetouch-ultra2-meter.ts';
import { dumpSuite } from './dump-suite.ts';

dumpSuite({
  protocol: 'onetouch-ultra2',
  serial: '12345678Y',
  deviceTime: (t) => `${t.slice(5, 7)}/${t.slice(8, 10)}/${t.slice(2, 4)} ${t.slice(11)}`,
  checkRaw: (raw, r) => assert.equal(raw, ultra2RecordLine(r)),
  supportsFlags: true,
  recordFaults: ['bad-checksum', 'nak', 'cut', 'noise', 'silence'],
});
