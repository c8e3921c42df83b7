import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeAstmFrame, encodeAstmRecordFrames } from '../../../drivers/codecs/astm-frame.ts';
import { AstmFrameSequencer } from '../../../drivers/codecs/astm-frame-sequencer.ts';

const frames = (records: string[], first = 1): Uint8Array[] => {
  const out: Uint8Array[] = [];
  let fn = first;
  records.forEach((r, i) => {
    for (const f of encodeAstmRecordFrames(r, fn, i === records.length - 1)) {
      out.push(encodeAstmFrame(f));
      fn = (f.frameNumber + 1) % 8;
    }
  });
  return out;
};

test('frames in order are ACKed and give their records; a repeat is ACKed as a duplicate; a gap is NAKed', () => {
  const [h, p, l] = frames(['H|\\^&', 'P|1', 'L|1||N']);
  const s = new AstmFrameSequencer();
  assert.deepEqual(s.accept(h), {
    reply: 'ack',
    records: [{ text: 'H|\\^&', raw: Buffer.from(h).toString('hex') }],
    duplicate: false,
  });
  assert.deepEqual(s.accept(h), { reply: 'ack', records: [], duplicate: true });
  assert.equal(s.accept(l).reply, 'nak');
  assert.equal(s.accept(p).reply, 'ack');
  const bad = l.slice();
  bad[bad.length - 3] ^= 1;
  assert.equal(s.accept(bad).reply, 'nak');
  assert.equal(s.accept(l).reply, 'ack');
});

test('property: any split of records into frames, from any first number, comes back whole and in order', () => {
  const rec = fc
    .string({ unit: fc.constantFrom(...'AB|^&12 '), minLength: 1, maxLength: 600 })
    .map((s) => `R${s}`);
  fc.assert(
    fc.property(
      fc.array(rec, { minLength: 1, maxLength: 5 }),
      fc.integer({ min: 0, max: 7 }),
      (records, first) => {
        const s = new AstmFrameSequencer();
        const got: string[] = [];
        for (const f of frames(records, first)) {
          const v = s.accept(f);
          assert.equal(v.reply, 'ack');
          if (v.reply === 'ack') got.push(...v.records.map((r) => r.text));
        }
        assert.deepEqual(got, records);
      },
    ),
  );
});
