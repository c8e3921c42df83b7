import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAstmFrame } from '../../../drivers/codecs/astm-frame.ts';
import { decodeContourHeader } from '../../../drivers/codecs/astm-contour.ts';
import { wire } from './wire.ts';

const scenario = {
  protocol: 'astm' as const,
  serial: '7390-2336773',
  unit: 'mg/dL' as const,
  clock: '2019-09-22T13:04:00',
  records: [{ time: '2012-02-05T20:34:00', value: 133, meal: 'before' as const }],
};

const frameAt = (b: Buffer, start: number): Buffer => b.subarray(start, b.indexOf(0x0a, start) + 1);

test('Contour simulator: NAK→EOT, ENQ→ACK, EOT→ENQ, then H, P, R, L frames, each on ACK, then EOT', async (t) => {
  const w = await wire(t, scenario);
  w.send(Uint8Array.of(0x15));
  assert.deepEqual([...(await w.until((b) => b.length === 1))], [0x04]);
  w.clear();
  w.send(Uint8Array.of(0x05));
  assert.deepEqual([...(await w.until((b) => b.length === 1))], [0x06]);
  w.clear();
  w.send(Uint8Array.of(0x04));
  assert.deepEqual([...(await w.until((b) => b.length === 1))], [0x05]);
  const texts: string[] = [];
  const numbers: number[] = [];
  for (let i = 0; i < 4; i++) {
    w.clear();
    w.send(Uint8Array.of(0x06));
    const f = decodeAstmFrame(frameAt(await w.until((b) => b.includes(0x0a)), 0));
    texts.push(f.text);
    numbers.push(f.frameNumber);
    assert.equal(f.final, i === 3, 'only the last frame ends in ETX');
  }
  assert.deepEqual(numbers, [1, 2, 3, 4]);
  const header = decodeContourHeader(texts[0].slice(0, -1));
  assert.equal(header.serial, '7390-2336773');
  assert.equal(header.recordCount, 1);
  assert.match(header.meterTime, /^20190922130[45]$/);
  assert.deepEqual(texts.slice(1), ['P|1\r', 'R|1|^^^Glucose|133|mg/dL^P|||B||||201202052034\r', 'L|1||N\r']);
  w.clear();
  w.send(Uint8Array.of(0x06));
  assert.deepEqual([...(await w.until((b) => b.length === 1))], [0x04]);
});

test('Contour simulator: a NAK makes it resend the same frame; six NAKs make it give up with EOT', async (t) => {
  const w = await wire(t, scenario);
  for (const b of [0x15, 0x05, 0x04]) {
    w.clear();
    w.send(Uint8Array.of(b));
    await w.until((r) => r.length === 1);
  }
  w.clear();
  w.send(Uint8Array.of(0x06));
  const first = Buffer.from(await w.until((b) => b.includes(0x0a)));
  for (let i = 0; i < 5; i++) {
    w.clear();
    w.send(Uint8Array.of(0x15));
    assert.deepEqual(Buffer.from(await w.until((b) => b.includes(0x0a))), first, `resend ${i + 1}`);
  }
  w.clear();
  w.send(Uint8Array.of(0x15));
  assert.deepEqual([...(await w.until((b) => b.length === 1))], [0x04]);
});
