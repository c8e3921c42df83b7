import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { AstmDelimiters, AstmRecord } from '../../../drivers/codecs/astm-record.ts';
import {
  astmComponents,
  decodeAstmDelimiters,
  decodeAstmRecord,
  encodeAstmRecord,
  escapeAstm,
  unescapeAstm,
} from '../../../drivers/codecs/astm-record.ts';
import { fuzzDecoder, fuzzText } from './serial-codec-fuzz.ts';

test('delimiters come from the header', () => {
  assert.deepEqual(decodeAstmDelimiters('H|\\^&||x'), {
    field: '|',
    repeat: '\\',
    component: '^',
    escape: '&',
  });
  assert.deepEqual(decodeAstmDelimiters('H!@#$'), { field: '!', repeat: '@', component: '#', escape: '$' });
  assert.throws(() => decodeAstmDelimiters('H|||&'), { code: 'ERR_MALFORMED' });
  assert.throws(() => decodeAstmDelimiters('H|\\^a'), { code: 'ERR_MALFORMED' });
  assert.throws(() => decodeAstmDelimiters('P|1'), { code: 'ERR_MALFORMED' });
});

test('records: header keeps its definition field; others split on the field delimiter', () => {
  assert.deepEqual(decodeAstmRecord('H|\\^&||7w3LBL|Bayer7390'), {
    type: 'H',
    fields: ['H', '\\^&', '', '7w3LBL', 'Bayer7390'],
  });
  assert.deepEqual(decodeAstmRecord('R|8|^^^Glucose|133|mg/dL^P||B/X||201202052034').fields.length, 9);
  assert.deepEqual(decodeAstmRecord('L|1||N'), { type: 'L', fields: ['L', '1', '', 'N'] });
  const custom: AstmDelimiters = { field: '!', repeat: '@', component: '#', escape: '$' };
  assert.deepEqual(decodeAstmRecord('P!1!a#b', custom).fields, ['P', '1', 'a#b']);
  assert.throws(() => decodeAstmRecord('X|1'), { code: 'ERR_UNKNOWN_OPCODE' });
  assert.throws(() => decodeAstmRecord('R1|'), { code: 'ERR_MALFORMED' });
  assert.throws(() => decodeAstmRecord(''), { code: 'ERR_TOO_SHORT' });
  assert.throws(() => decodeAstmRecord('R|\x07'), { code: 'ERR_MALFORMED' });
});

test('components, repeats and escapes', () => {
  assert.deepEqual(astmComponents('a^b\\c'), [['a', 'b'], ['c']]);
  assert.deepEqual(astmComponents('x&F&y&S&z&R&w&E&v&H&'), [['x|y^z\\w&v&H&']]);
  assert.throws(() => unescapeAstm('a&F'), { code: 'ERR_MALFORMED' });
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom('a', '|', '^', '\\', '&', 'Z', ' ') }), (s) =>
      assert.equal(unescapeAstm(escapeAstm(s)), s),
    ),
  );
});

const fieldText = fc.string({
  unit: fc
    .integer({ min: 0x20, max: 0x7e })
    .filter((c) => c !== 0x7c)
    .map((c) => String.fromCharCode(c)),
  maxLength: 30,
});
const record: fc.Arbitrary<AstmRecord> = fc.oneof(
  fc
    .tuple(fc.constantFrom('P', 'O', 'R', 'C', 'Q', 'L'), fc.array(fieldText, { maxLength: 14 }))
    .map(([type, rest]) => ({ type, fields: [type, ...rest] }) as AstmRecord),
  fc
    .array(fieldText, { maxLength: 14 })
    .map((rest): AstmRecord => ({ type: 'H', fields: ['H', '\\^&', ...rest] })),
);

test('round trip: records', () => {
  fc.assert(
    fc.property(record, (r) => assert.deepEqual(decodeAstmRecord(encodeAstmRecord(r)), r)),
    { numRuns: 3000 },
  );
  assert.throws(() => encodeAstmRecord({ type: 'R', fields: ['R', 'a|b'] }), {
    code: 'ERR_INVALID_ARGUMENT',
  });
});

test('fuzz decodeAstmRecord: only CodecError', () => {
  const input = fuzzText(record.map((r) => encodeAstmRecord(r)));
  assert.ok(fuzzDecoder(input, (t) => decodeAstmRecord(t)) > 0);
  fuzzDecoder(input, (t) => astmComponents(t));
});
