import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kinds } from '../../bin/commands/decode-kinds/usb.ts';
import { decodeKinds } from '../../bin/commands/decode-kinds/index.ts';
import { encodeContourReport } from '../../drivers/codecs/contour-hid-report.ts';
import { encodeVerioBlock, encodeVerioRecord } from '../../drivers/codecs/verio-messages.ts';
import { runCli } from '../helpers/cli.ts';

const opts = { crc: false };
const ascii = (s: string): Uint8Array => Buffer.from(s, 'latin1');

test('decode knows the USB frame kinds', () => {
  for (const k of Object.keys(kinds)) assert.ok(k in decodeKinds, k);
  assert.deepEqual(kinds['contour-hid-report'](encodeContourReport(Uint8Array.of(0x06)), opts), {
    length: 1,
    more: false,
    payloadHex: '06',
    payloadText: '\x06',
  });
  const rec = kinds['verio-answer'](
    encodeVerioBlock(
      encodeVerioRecord({ inverseCounter: 1, lifetimeCounter: 2, timestamp: 60, value: 99, meal: 'none' }),
    ),
    opts,
  ) as { type: string; value: number; localTime: string };
  assert.deepEqual([rec.type, rec.value, rec.localTime], ['record', 99, '2000-01-01T00:01:00']);
  const log = kinds['freestyle-reply'](ascii('Log Empty\r\nCKSM:00000368\r\nCMD OK\r\n'), opts) as {
    log: string[];
  };
  assert.deepEqual(log.log, []);
  assert.equal(
    (kinds['freestyle-neo-record'](ascii('9,1,5,1,24,9,0,0,18,1'), opts) as { kind: string }).kind,
    'ketone',
  );
});

test('decode of a bad USB value exits 2 with one line', () => {
  const r = runCli(['decode', 'scsi-cdb', '2a08000000030000 0100']);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});
