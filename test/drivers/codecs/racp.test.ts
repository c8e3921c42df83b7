import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseHex, toHex } from '../../../drivers/codecs/hex.ts';
import { decodeRacp, encodeRacp } from '../../../drivers/codecs/racp.ts';
import type { RacpMessage, RacpResponseCodeName } from '../../../drivers/codecs/racp.ts';
import { arbDateTime, arbU16, arbU8, assertCodecError, fuzzDecoder } from './ble-arbitraries.ts';

// Byte examples of spec A.5, each decoded and encoded back.
const VECTORS: Array<[string, string, 'gls' | 'cgms', RacpMessage]> = [
  ['report all records', '01 01', 'gls', { opCode: 'report-stored-records', operator: 'all' }],
  [
    'report records with sequence ≥ 42 (GLS)',
    '01 03 01 2A 00',
    'gls',
    {
      opCode: 'report-stored-records',
      operator: 'greater-than-or-equal',
      filter: { type: 'sequence-number', operands: [42] },
    },
  ],
  [
    'report CGM records with time offset ≥ 600 min',
    '01 03 01 58 02',
    'cgms',
    {
      opCode: 'report-stored-records',
      operator: 'greater-than-or-equal',
      filter: { type: 'time-offset', operands: [600] },
    },
  ],
  [
    'report records within range seq 10..20',
    '01 04 01 0A 00 14 00',
    'gls',
    {
      opCode: 'report-stored-records',
      operator: 'within-range',
      filter: { type: 'sequence-number', operands: [10, 20] },
    },
  ],
  ['report last record', '01 06', 'gls', { opCode: 'report-stored-records', operator: 'last' }],
  [
    'report number of all records',
    '04 01',
    'gls',
    { opCode: 'report-number-of-stored-records', operator: 'all' },
  ],
  [
    'number of records response (300)',
    '05 00 2C 01',
    'gls',
    { opCode: 'number-of-stored-records-response', count: 300 },
  ],
  ['abort', '03 00', 'gls', { opCode: 'abort-operation' }],
  [
    'abort succeeded',
    '06 00 03 01',
    'gls',
    { opCode: 'response-code', requestOpCode: 3, response: 'success' },
  ],
  ['delete all', '02 01', 'cgms', { opCode: 'delete-stored-records', operator: 'all' }],
  [
    'delete succeeded',
    '06 00 02 01',
    'cgms',
    { opCode: 'response-code', requestOpCode: 2, response: 'success' },
  ],
  [
    'success after report',
    '06 00 01 01',
    'cgms',
    { opCode: 'response-code', requestOpCode: 1, response: 'success' },
  ],
  [
    'no records found',
    '06 00 01 06',
    'gls',
    { opCode: 'response-code', requestOpCode: 1, response: 'no-records-found' },
  ],
];

describe('Record Access Control Point (spec A.5)', () => {
  for (const [name, hex, service, message] of VECTORS) {
    it(`${name}: ${hex}`, () => {
      assert.deepEqual(decodeRacp(parseHex(hex), { service }), message);
      assert.equal(toHex(encodeRacp(message)), hex.toLowerCase());
    });
  }

  it('all operators and response codes decode by value', () => {
    const ops = ['all', 'less-than-or-equal', 'greater-than-or-equal', 'within-range', 'first', 'last'];
    assert.deepEqual(decodeRacp(parseHex('01 02 01 05 00')), {
      opCode: 'report-stored-records',
      operator: ops[1],
      filter: { type: 'sequence-number', operands: [5] },
    });
    assert.deepEqual(decodeRacp(parseHex('02 05')), { opCode: 'delete-stored-records', operator: 'first' });
    const codes: RacpResponseCodeName[] = [
      'success',
      'op-code-not-supported',
      'invalid-operator',
      'operator-not-supported',
      'invalid-operand',
      'no-records-found',
      'abort-unsuccessful',
      'procedure-not-completed',
      'operand-not-supported',
    ];
    codes.forEach((response, i) => {
      assert.deepEqual(decodeRacp(Uint8Array.of(6, 0, 0x07, i + 1)), {
        opCode: 'response-code',
        requestOpCode: 7,
        response,
      });
    });
  });

  it('GLS user facing time filter (0x02)', () => {
    const hex = '01 04 02 E8 07 03 0F 08 1E 00 E8 07 03 0F 09 00 00';
    const m = decodeRacp(parseHex(hex));
    assert.deepEqual(m, {
      opCode: 'report-stored-records',
      operator: 'within-range',
      filter: {
        type: 'user-facing-time',
        operands: [
          { year: 2024, month: 3, day: 15, hours: 8, minutes: 30, seconds: 0 },
          { year: 2024, month: 3, day: 15, hours: 9, minutes: 0, seconds: 0 },
        ],
      },
    });
    assert.equal(toHex(encodeRacp(m)), hex.toLowerCase());
    assertCodecError(() => decodeRacp(parseHex(hex), { service: 'cgms' }), 'ERR_INVALID_OPERAND');
  });

  it('invalid data maps onto RACP response codes', () => {
    assertCodecError(() => decodeRacp(parseHex('')), 'ERR_MALFORMED'); // from parseHex: nothing to decode
    assertCodecError(() => decodeRacp(new Uint8Array(0)), 'ERR_TOO_SHORT');
    assertCodecError(() => decodeRacp(parseHex('01')), 'ERR_TOO_SHORT');
    assertCodecError(() => decodeRacp(parseHex('07 01')), 'ERR_UNKNOWN_OPCODE');
    assertCodecError(() => decodeRacp(parseHex('00 01')), 'ERR_UNKNOWN_OPCODE');
    assertCodecError(() => decodeRacp(parseHex('01 07')), 'ERR_INVALID_OPERATOR');
    assertCodecError(() => decodeRacp(parseHex('01 00')), 'ERR_INVALID_OPERATOR');
    assertCodecError(() => decodeRacp(parseHex('03 01')), 'ERR_INVALID_OPERATOR');
    assertCodecError(() => decodeRacp(parseHex('05 01 2C 01')), 'ERR_INVALID_OPERATOR');
    assertCodecError(() => decodeRacp(parseHex('01 01 01 2A 00')), 'ERR_INVALID_OPERAND');
    assertCodecError(() => decodeRacp(parseHex('01 03 03 2A 00')), 'ERR_INVALID_OPERAND');
    assertCodecError(() => decodeRacp(parseHex('01 04 01 14 00 0A 00')), 'ERR_INVALID_OPERAND');
    assertCodecError(() => decodeRacp(parseHex('01 03 01 2A')), 'ERR_TOO_SHORT');
    assertCodecError(() => decodeRacp(parseHex('01 03')), 'ERR_TOO_SHORT');
    assertCodecError(() => decodeRacp(parseHex('06 00 01 00')), 'ERR_RESERVED_VALUE');
    assertCodecError(() => decodeRacp(parseHex('06 00 01 0A')), 'ERR_RESERVED_VALUE');
    assertCodecError(() => decodeRacp(parseHex('06 00 01 01 00')), 'ERR_TOO_LONG');
    assertCodecError(() => decodeRacp(parseHex('05 00 2C')), 'ERR_TOO_SHORT');
  });

  it('encoder rejects invalid messages', () => {
    assertCodecError(
      () =>
        encodeRacp({
          opCode: 'report-stored-records',
          operator: 'within-range',
          filter: { type: 'sequence-number', operands: [1] },
        }),
      'ERR_INVALID_ARGUMENT',
    );
    assertCodecError(
      () =>
        encodeRacp({
          opCode: 'report-stored-records',
          operator: 'within-range',
          filter: { type: 'sequence-number', operands: [9, 1] },
        }),
      'ERR_INVALID_ARGUMENT',
    );
    assertCodecError(
      () => encodeRacp({ opCode: 'number-of-stored-records-response', count: 70000 }),
      'ERR_INVALID_ARGUMENT',
    );
  });

  const arbRecordOp = fc.constantFrom(
    'report-stored-records' as const,
    'delete-stored-records' as const,
    'report-number-of-stored-records' as const,
  );
  const arbRequest = (service: 'gls' | 'cgms'): fc.Arbitrary<RacpMessage> => {
    const numberType = service === 'gls' ? ('sequence-number' as const) : ('time-offset' as const);
    const arbFilter = (count: number) =>
      fc.oneof(
        fc
          .array(arbU16, { minLength: count, maxLength: count })
          .map((ops) => ({ type: numberType, operands: [...ops].sort((a, b) => a - b) })),
        ...(service === 'gls'
          ? [
              fc
                .array(arbDateTime, { minLength: count, maxLength: count })
                .map((operands) => ({ type: 'user-facing-time' as const, operands })),
            ]
          : []),
      );
    return fc.oneof(
      fc.record({
        opCode: arbRecordOp,
        operator: fc.constantFrom('all' as const, 'first' as const, 'last' as const),
      }),
      fc.record({
        opCode: arbRecordOp,
        operator: fc.constantFrom('less-than-or-equal' as const, 'greater-than-or-equal' as const),
        filter: arbFilter(1),
      }),
      fc.record({
        opCode: arbRecordOp,
        operator: fc.constant('within-range' as const),
        filter: arbFilter(2),
      }),
      fc.constant({ opCode: 'abort-operation' as const }),
      fc.record({ opCode: fc.constant('number-of-stored-records-response' as const), count: arbU16 }),
      fc.record({
        opCode: fc.constant('response-code' as const),
        requestOpCode: arbU8,
        response: fc.constantFrom<RacpResponseCodeName>(
          'success',
          'no-records-found',
          'operand-not-supported',
        ),
      }),
    );
  };

  for (const service of ['gls', 'cgms'] as const) {
    it(`property (${service}): encode → decode is the identity`, () => {
      fc.assert(
        fc.property(arbRequest(service), (m) => {
          assert.deepEqual(decodeRacp(encodeRacp(m), { service }), { ...m });
        }),
      );
    });
  }

  it('fuzz: only CodecError (GLS and CGMS)', () => {
    const small = fc.uint8Array({ maxLength: 40 }).map((b) => {
      // Keep op code and operator mostly in range so the fuzzer reaches the operand parsing.
      if (b.length > 0) b[0] %= 8;
      if (b.length > 1) b[1] %= 8;
      if (b.length > 2) b[2] %= 4;
      return b;
    });
    assert.ok(fuzzDecoder((b) => decodeRacp(b, { service: 'gls' }), small) > 100);
    fuzzDecoder((b) => decodeRacp(b, { service: 'cgms' }));
  });
});
