// FreeStyle shared HID protocol codecs: reports, text replies, logs, records (one file: they are one layer each
// but share vectors). Vectors from glucometer-protocols abbott/*.md, glucometerutils and Tidepool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CodecError } from '../../../drivers/codecs/codec-error.ts';
import {
  decodeFreeStyleReport,
  encodeFreeStyleReport,
  encodeFreeStyleText,
} from '../../../drivers/codecs/freestyle-hid-report.ts';
import {
  decodeFreeStyleClock,
  decodeFreeStyleResult,
  encodeFreeStyleClock,
} from '../../../drivers/codecs/freestyle-records.ts';
import {
  decodeFreeStyleLog,
  decodeFreeStyleReply,
  encodeFreeStyleLog,
  encodeFreeStyleReply,
  freeStyleChecksum,
} from '../../../drivers/codecs/freestyle-text.ts';

test('INIT is 01 00 and its reply 71 01 01; unknown command 30 01 85 (shared-hid-protocol.md)', () => {
  const init = encodeFreeStyleReport({ type: 0x01, payload: new Uint8Array(0) });
  assert.deepEqual([...init.subarray(0, 2)], [0x01, 0x00]);
  assert.equal(init.length, 64);
  const reply = new Uint8Array(64);
  reply.set([0x71, 0x01, 0x01, 0xaa, 0xbb]); // bytes after the length are left-overs
  assert.deepEqual(decodeFreeStyleReport(reply), { type: 0x71, payload: Uint8Array.of(1) });
  assert.deepEqual(decodeFreeStyleReport(Uint8Array.of(0x30, 0x01, 0x85)), {
    type: 0x30,
    payload: Uint8Array.of(0x85),
  });
  assert.throws(() => decodeFreeStyleReport(Uint8Array.of(0x60, 0x3f, ...new Uint8Array(62))), {
    code: 'ERR_OUT_OF_RANGE',
  });
});

test('a text command is type 0x60, length, ASCII (freestyle-precision-neo.md: all commands are 0x60)', () => {
  const r = encodeFreeStyleText(0x60, '$serlnum?');
  assert.deepEqual([...r.subarray(0, 11)], [0x60, 9, ...Buffer.from('$serlnum?')]);
});

test('the $date? example of freestyle-libre.md (12,8,16) with its checksum and CMD OK', () => {
  const text = '12,8,16\r\nCKSM:00000171\r\nCMD OK\r\n';
  assert.equal(freeStyleChecksum('12,8,16\r\n'), 0x171); // 49+50+44+56+44+49+54+13+10
  assert.deepEqual(decodeFreeStyleReply(text), { message: '12,8,16\r\n', ok: true });
  assert.equal(decodeFreeStyleClock('12,8,16\r\n', '23,11\r\n'), '2016-12-08T23:11:00');
  assert.throws(() => decodeFreeStyleReply(text.replace('171', '172')), { code: 'ERR_CHECKSUM_MISMATCH' });
  assert.equal(decodeFreeStyleReply('CKSM:00000000\r\nCMD Fail!\r\n').ok, false);
});

test('a clock of 255s means not set (shared-hid-protocol.md `$date`)', () => {
  assert.throws(() => decodeFreeStyleClock('255,255,255', '255,255'), { code: 'ERR_OUT_OF_RANGE' });
});

test('log: records, count and checksum over the records; "Log Empty"', () => {
  const lines = ['7,2,5,1,24,8,30,0,123,0,1,0,0,0,0,0,0,0,0', '9,1,5,1,24,9,0,0,18,1'];
  const log = encodeFreeStyleLog(lines);
  assert.match(log, /\r\n2,[0-9A-F]{8}\r\n$/);
  assert.deepEqual(decodeFreeStyleLog(log).lines, lines);
  assert.deepEqual(decodeFreeStyleLog('Log Empty\r\n').lines, []);
  assert.throws(() => decodeFreeStyleLog(log.replace('\r\n2,', '\r\n3,')), { code: 'ERR_LENGTH_MISMATCH' });
  assert.throws(() => decodeFreeStyleLog(log.replace('123', '124')), { code: 'ERR_CHECKSUM_MISMATCH' });
});

test('Neo records: glucose type 7 (value 8, control field 10), ketone type 9 ÷ 18 (Tidepool, glucometer-protocols)', () => {
  const g = decodeFreeStyleResult('neo', '7,2,5,1,24,8,30,0,123,0,1,0,0,0,0,0,0,0,0');
  assert.deepEqual(
    [g.kind, g.localTime, g.value, g.unit, g.control],
    ['glucose', '2024-05-01T08:30:00', 123, 'mg/dL', false],
  );
  assert.equal(decodeFreeStyleResult('neo', '7,2,5,1,24,8,30,0,105,0,0,0,0,0,0,0,0,0,0').control, true);
  const hi = decodeFreeStyleResult('neo', '7,3,5,1,24,8,31,0,HI,0,1,0,0,0,0,0,0,0,0');
  assert.deepEqual([hi.flag, hi.value], ['high', 500]);
  const k = decodeFreeStyleResult('neo', '9,1,5,1,24,9,0,0,18,1');
  assert.deepEqual([k.kind, k.value, k.unit], ['ketone', 1, 'mmol/L']);
  assert.equal(decodeFreeStyleResult('neo', '10,4,5,1,24,9,0,0,1,4,0,0,0').kind, 'other');
});

test('InsuLinx (type 0, value 13) and Libre $arresult? (type 2, reading type 9, value 12, errors 28)', () => {
  const ix = decodeFreeStyleResult('insulinx', '0,1,5,1,24,8,30,0,0,0,0,0,0,140,0,0');
  assert.deepEqual([ix.kind, ix.value], ['glucose', 140]);
  const f = new Array(29).fill('0');
  Object.assign(f, { 1: '2', 2: '5', 3: '1', 4: '24', 5: '8', 6: '30', 7: '15', 9: '0', 12: '131' });
  const l = decodeFreeStyleResult('libre', f.join(','));
  assert.deepEqual([l.kind, l.localTime, l.value, l.errors], ['glucose', '2024-05-01T08:30:15', 131, 0]);
  f[9] = '2';
  assert.equal(decodeFreeStyleResult('libre', f.join(',')).kind, 'sensor-scan');
  f[9] = '1';
  assert.equal(decodeFreeStyleResult('libre', f.join(',')).kind, 'ketone');
});

test('property: reports, replies, logs and clocks round-trip', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 62 }), (type, payload) => {
      assert.deepEqual(decodeFreeStyleReport(encodeFreeStyleReport({ type, payload })), { type, payload });
    }),
  );
  const ascii = fc.string({ unit: fc.constantFrom(...'abcXYZ019,.$? '), maxLength: 40 });
  fc.assert(
    fc.property(fc.array(ascii, { maxLength: 20 }), fc.boolean(), (lines, ok) => {
      const msg = encodeFreeStyleLog(lines);
      assert.deepEqual(decodeFreeStyleReply(encodeFreeStyleReply(msg, ok)), { message: msg, ok });
      assert.deepEqual(decodeFreeStyleLog(msg).lines, lines.length === 0 ? [] : lines);
    }),
  );
  fc.assert(
    fc.property(
      fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }),
      (d) => {
        const local = d.toISOString().slice(0, 17) + '00';
        const { date, time } = encodeFreeStyleClock(local);
        assert.equal(decodeFreeStyleClock(date, time), local);
      },
    ),
  );
});

test('property: random records and reports decode or throw a CodecError', () => {
  fc.assert(
    fc.property(
      fc.constantFrom('neo', 'insulinx', 'libre' as const),
      fc.string({ maxLength: 120 }),
      (fam, s) => {
        try {
          decodeFreeStyleResult(fam, s);
        } catch (e) {
          assert.ok(e instanceof CodecError, String(e));
        }
      },
    ),
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (s) => {
      for (const f of [decodeFreeStyleReply, decodeFreeStyleLog]) {
        try {
          f(s);
        } catch (e) {
          assert.ok(e instanceof CodecError, String(e));
        }
      }
    }),
  );
});
