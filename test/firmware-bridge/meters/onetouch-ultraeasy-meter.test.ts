import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeOneTouchFrame, encodeOneTouchFrame } from '../../../drivers/codecs/onetouch-frame.ts';
import {
  decodeUltraEasyRecord,
  decodeUltraEasyRecordCount,
  encodeUltraEasyRequest,
  ultraEasySeconds,
} from '../../../drivers/codecs/onetouch-ultraeasy-messages.ts';
import { wire } from './wire.ts';

const bits = { sequence: false, expectReceive: false, ack: false, disconnect: false, more: false };

/** Splits received bytes into frames by their length byte. */
function frames(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  while (i + 1 < b.length && i + b[i + 1] <= b.length) {
    out.push(b.subarray(i, i + b[i + 1]));
    i += b[i + 1];
  }
  return out;
}

test('Ultra Easy simulator: link reset, ACK + answer per request, retransmission repeats the answer', async (t) => {
  const w = await wire(t, {
    protocol: 'onetouch-ultraeasy',
    serial: 'C2XB1234',
    unit: 'mg/dL',
    clock: '2024-01-01T00:00:00',
    records: [
      { time: '2024-01-01T08:00:00', value: 101 },
      { time: '2023-12-31T20:00:00', value: 202 },
    ],
  });
  w.send(encodeOneTouchFrame({ link: { ...bits, disconnect: true }, message: new Uint8Array(0) }));
  const [reset] = frames(await w.until((b) => frames(b).length === 1));
  assert.deepEqual(decodeOneTouchFrame(reset).link, {
    ...bits,
    ack: true,
    disconnect: true,
  });
  w.clear();
  w.send(encodeOneTouchFrame({ link: bits, message: encodeUltraEasyRequest({ kind: 'record-count' }) }));
  const [ack, answer] = frames(await w.until((b) => frames(b).length === 2)).map(decodeOneTouchFrame);
  assert.equal(ack.link.ack, true);
  assert.equal(answer.link.ack, false);
  assert.equal(decodeUltraEasyRecordCount(answer.message), 2);
  w.clear();
  // Same sequence bit again (our ACK never went out): the meter repeats its answer.
  w.send(encodeOneTouchFrame({ link: bits, message: encodeUltraEasyRequest({ kind: 'record-count' }) }));
  const again = frames(await w.until((b) => frames(b).length === 2)).map(decodeOneTouchFrame);
  assert.equal(decodeUltraEasyRecordCount(again[1].message), 2);
  w.send(
    encodeOneTouchFrame({
      link: { ...bits, ack: true, sequence: true, expectReceive: true },
      message: new Uint8Array(0),
    }),
  );
  w.clear();
  w.send(
    encodeOneTouchFrame({
      link: { ...bits, sequence: true, expectReceive: true },
      message: encodeUltraEasyRequest({ kind: 'record', index: 1 }),
    }),
  );
  const rec = frames(await w.until((b) => frames(b).length === 2)).map(decodeOneTouchFrame)[1];
  assert.equal(rec.link.sequence, true, 'the meter toggled its sequence bit after our ACK');
  assert.deepEqual(decodeUltraEasyRecord(rec.message), {
    timestamp: ultraEasySeconds('2023-12-31T20:00:00'),
    localTime: '2023-12-31T20:00:00',
    value: 202,
  });
});
