import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AstmRecordAssembler } from '../../../drivers/codecs/astm-record-assembler.ts';
import { encodeAstmRecordFrames } from '../../../drivers/codecs/astm-frame.ts';
import { CodecError } from '../../../drivers/codecs/codec-error.ts';
import { fuzzDecoder, fuzzText } from './serial-codec-fuzz.ts';

test('records spanning frames and frames carrying several records', () => {
  const a = new AstmRecordAssembler();
  assert.deepEqual(a.push('R|1|12'), []);
  assert.equal(a.partial, 'R|1|12');
  assert.deepEqual(a.push('3|mg/dL\rR|2|9'), ['R|1|123|mg/dL']);
  assert.deepEqual(a.push('9\rL|1||N\r'), ['R|2|99', 'L|1||N']);
  assert.equal(a.partial, '');
  a.push('R|3');
  a.reset();
  assert.equal(a.partial, '');
  assert.throws(() => a.push('x'.repeat(70_000)), CodecError);
  assert.equal(a.partial, '', 'a runaway record is dropped');
  assert.deepEqual(a.push('L|1\r'), ['L|1']);
});

test('round trip through record frames', () => {
  const record = fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    minLength: 1,
    maxLength: 800,
  });
  fc.assert(
    fc.property(fc.array(record, { minLength: 1, maxLength: 5 }), (records) => {
      const a = new AstmRecordAssembler();
      const out: string[] = [];
      let fn = 1;
      records.forEach((r, i) => {
        for (const f of encodeAstmRecordFrames(r, fn, i === records.length - 1)) {
          out.push(...a.push(f.text));
          fn = (f.frameNumber + 1) % 8;
        }
      });
      assert.deepEqual(out, records);
      assert.equal(a.partial, '');
    }),
    { numRuns: 500 },
  );
});

test('fuzz push: any frame text gives records without CR or a CodecError', () => {
  const a = new AstmRecordAssembler();
  const inputs = fuzzText(fc.constantFrom('R|1|^^^Glucose|5\r', 'P|1\rL|1||N\r', 'H|\\^&|x', 'R|2|'), 300);
  assert.ok(
    fuzzDecoder(inputs, (t) => {
      for (const r of a.push(t)) assert.ok(!r.includes('\r') && r.length > 0);
    }) > 0,
  );
});
