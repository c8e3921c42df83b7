import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  CGM_ALERTS,
  CGM_SOCP_OP_CODES,
  decodeCgmSocp,
  encodeCgmSocp,
} from '../../../drivers/codecs/cgm-socp.ts';
import type { CgmSocpMessage, CgmSocpResponseCodeName } from '../../../drivers/codecs/cgm-socp.ts';
import { parseHex, toHex } from '../../../drivers/codecs/hex.ts';
import { sfloatFromParts } from '../../../drivers/codecs/sfloat.ts';
import { arbNibble, arbSfloat, arbU16, arbU8, assertCodecError, fuzzDecoder } from './ble-arbitraries.ts';

const decode = (hex: string, crc = false) => decodeCgmSocp(parseHex(hex), { crc });
const roundTrip = (hex: string, crc: boolean) => {
  const { crc: status, ...m } = decode(hex, crc);
  assert.equal(status, crc ? 'ok' : 'absent');
  assert.equal(toHex(encodeCgmSocp(m as CgmSocpMessage, { crc })), hex.toLowerCase());
};

describe('CGM Specific Ops Control Point (spec A.6, A.7)', () => {
  it('P1: 1C 02 01 / with CRC 3C 3B → Get Communication Interval succeeded', () => {
    const m = { opCode: 'response-code', requestOpCode: 0x02, response: 'success' };
    assert.deepEqual(decode('1C 02 01'), { ...m, crc: 'absent' });
    assert.deepEqual(decode('1C 02 01 3C 3B', true), { ...m, crc: 'ok' });
    roundTrip('1C 02 01', false);
    roundTrip('1C 02 01 3C 3B', true);
  });

  it('P2: op code not supported (CRC 0x09A7); 1C 02 02 A7 01 = CRC error', () => {
    const m = { opCode: 'response-code', requestOpCode: 0x02, response: 'op-code-not-supported' };
    assert.deepEqual(decode('1C 02 02'), { ...m, crc: 'absent' });
    assert.deepEqual(decode('1C 02 02 A7 09'), { ...m, crc: 'ok' });
    assert.deepEqual(decode('1C 02 02 A7 01', true), { ...m, crc: 'mismatch' });
  });

  it('P3: calibration response 100 mg/dL at 10 min, capillary plasma, earlobe, next 20, #1, pending', () => {
    assert.deepEqual(decode('06 01 20 0A 00 32 14 00 01 00 04 BF B2', true), {
      opCode: 'calibration-value-response',
      calibration: {
        glucose: sfloatFromParts(1, 2),
        timeMinutes: 10,
        sampleType: 2,
        sampleLocation: 3,
        nextTimeMinutes: 20,
        recordNumber: 1,
        status: 0x04,
      },
      crc: 'ok',
    });
    roundTrip('06 01 20 0A 00 32 14 00 01 00 04 BF B2', true);
  });

  it('P4: patient high alert 1.2; hyper alert 1000; rate of decrease 10', () => {
    assert.deepEqual(decode('09 0C F0'), {
      opCode: 'patient-high-alert-level-response',
      level: sfloatFromParts(12, -1),
      crc: 'absent',
    });
    assert.deepEqual(decode('12 0A 20'), {
      opCode: 'hyper-alert-level-response',
      level: sfloatFromParts(10, 2),
      crc: 'absent',
    });
    assert.deepEqual(decode('15 01 10'), {
      opCode: 'rate-of-decrease-alert-level-response',
      level: sfloatFromParts(1, 1),
      crc: 'absent',
    });
  });

  it('P5: set interval 5 min, start session, stop session, with E2E-CRC', () => {
    assert.deepEqual(decode('01 05 CD BE', true), {
      opCode: 'set-communication-interval',
      intervalMinutes: 5,
      crc: 'ok',
    });
    assert.deepEqual(decode('1A 5C B0', true), { opCode: 'start-session', crc: 'ok' });
    assert.deepEqual(decode('1B D5 A1', true), { opCode: 'stop-session', crc: 'ok' });
    for (const hex of ['01 05 CD BE', '1A 5C B0', '1B D5 A1']) roundTrip(hex, true);
  });

  it('disable periodic communication is interval 0x00 (not 0xFF as in the Android builder)', () => {
    const bytes = encodeCgmSocp({ opCode: 'set-communication-interval', intervalMinutes: 0 });
    assert.equal(toHex(bytes), '01 00');
  });

  it('sdk-nrf-bm: start session while running → 1C 1A 04 procedure not completed', () => {
    assert.deepEqual(decode('1C 1A 04'), {
      opCode: 'response-code',
      requestOpCode: 0x1a,
      response: 'procedure-not-completed',
      crc: 'absent',
    });
  });

  it('every op code value has its operand layout', () => {
    assert.deepEqual(decode('02'), { opCode: 'get-communication-interval', crc: 'absent' });
    assert.deepEqual(decode('03 FF'), {
      opCode: 'communication-interval-response',
      intervalMinutes: 255,
      crc: 'absent',
    });
    assert.deepEqual(decode('05 FF FF'), {
      opCode: 'get-calibration-value',
      recordNumber: 0xffff,
      crc: 'absent',
    });
    assert.deepEqual(decode('19'), { opCode: 'reset-device-specific-alert', crc: 'absent' });
    CGM_ALERTS.forEach((alert, i) => {
      assert.equal(CGM_SOCP_OP_CODES[`set-${alert}-alert-level`], 0x07 + 3 * i);
      assert.deepEqual(decode((0x08 + 3 * i).toString(16).padStart(2, '0')), {
        opCode: `get-${alert}-alert-level`,
        crc: 'absent',
      });
      assert.deepEqual(decode(`${(0x07 + 3 * i).toString(16).padStart(2, '0')} 78 00`), {
        opCode: `set-${alert}-alert-level`,
        level: sfloatFromParts(120, 0),
        crc: 'absent',
      });
    });
  });

  it('invalid data', () => {
    assertCodecError(() => decodeCgmSocp(new Uint8Array(0)), 'ERR_TOO_SHORT');
    assertCodecError(() => decode('00'), 'ERR_UNKNOWN_OPCODE');
    assertCodecError(() => decode('1D'), 'ERR_UNKNOWN_OPCODE');
    assertCodecError(() => decode('01'), 'ERR_TOO_SHORT');
    assertCodecError(() => decode('06 01 20 0A 00 32 14 00 01 00'), 'ERR_TOO_SHORT');
    assertCodecError(() => decode('1A 5C'), 'ERR_LENGTH_MISMATCH');
    assertCodecError(() => decode('1A 5C B0 00'), 'ERR_LENGTH_MISMATCH');
    assertCodecError(() => decode('1A', true), 'ERR_CRC_MISSING');
    assertCodecError(() => decode('1C 02 00'), 'ERR_RESERVED_VALUE');
    assertCodecError(() => decode('1C 02 06'), 'ERR_RESERVED_VALUE');
    assertCodecError(() => decode('07 01 08'), 'ERR_RESERVED_VALUE');
  });

  const arbCalibration = fc.record(
    {
      glucose: arbSfloat,
      timeMinutes: arbU16,
      sampleType: arbNibble,
      sampleLocation: arbNibble,
      nextTimeMinutes: arbU16,
      recordNumber: arbU16,
      status: arbU8,
    },
    { noNullPrototype: true },
  );
  const opsWithout = Object.keys(CGM_SOCP_OP_CODES).filter(
    (k) => k.startsWith('get-') && k !== 'get-calibration-value',
  );
  const arbMessage: fc.Arbitrary<CgmSocpMessage> = fc.oneof(
    arbU8.chain((intervalMinutes) =>
      fc.constantFrom(
        { opCode: 'set-communication-interval' as const, intervalMinutes },
        { opCode: 'communication-interval-response' as const, intervalMinutes },
      ),
    ),
    arbCalibration.chain((calibration) =>
      fc.constantFrom(
        { opCode: 'set-calibration-value' as const, calibration },
        { opCode: 'calibration-value-response' as const, calibration },
      ),
    ),
    arbU16.map((recordNumber) => ({ opCode: 'get-calibration-value' as const, recordNumber })),
    fc.tuple(fc.constantFrom(...CGM_ALERTS), fc.boolean(), arbSfloat).map(([alert, set, level]) => ({
      opCode: set ? (`set-${alert}-alert-level` as const) : (`${alert}-alert-level-response` as const),
      level,
    })),
    fc
      .constantFrom(...opsWithout, 'reset-device-specific-alert', 'start-session', 'stop-session')
      .map((opCode) => ({ opCode }) as CgmSocpMessage),
    fc
      .tuple(
        arbU8,
        fc.constantFrom<CgmSocpResponseCodeName>(
          'success',
          'op-code-not-supported',
          'invalid-operand',
          'procedure-not-completed',
          'parameter-out-of-range',
        ),
      )
      .map(([requestOpCode, response]) => ({ opCode: 'response-code' as const, requestOpCode, response })),
  );

  it('property: encode → decode is the identity (with and without CRC)', () => {
    fc.assert(
      fc.property(arbMessage, fc.boolean(), (m, crc) => {
        assert.deepEqual(decodeCgmSocp(encodeCgmSocp(m, { crc }), { crc }), {
          ...m,
          crc: crc ? 'ok' : 'absent',
        });
      }),
    );
  });

  it('fuzz: only CodecError', () => {
    const plausible = fc.uint8Array({ maxLength: 16 }).map((b) => {
      if (b.length > 0) b[0] %= 0x1e;
      return b;
    });
    assert.ok(fuzzDecoder((b) => decodeCgmSocp(b), plausible) > 100);
    fuzzDecoder((b) => decodeCgmSocp(b, { crc: true }));
  });
});
