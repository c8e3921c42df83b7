import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clockOffsetMs, processRecords } from '../../../drivers/serial/meter-readings.ts';
import type { MeterConfig, MeterRecord } from '../../../drivers/serial/meter-session.ts';
import { validateReading } from '../../../gateway/readings/validate.ts';

const config: MeterConfig = {
  manufacturer: 'LifeScan',
  model: 'OneTouch Ultra 2',
  serialNumber: '12345678Y',
  displayUnit: 'mg/dL',
  meterTime: '10/27/24 09:00:00',
  meterLocalTime: '2024-10-27T09:00:00',
  readAt: new Date('2024-10-27T08:00:30.000Z'),
};

const rec = (over: Partial<MeterRecord>): MeterRecord => ({
  localTime: '2024-10-27T02:30:00',
  deviceTime: '10/27/24 02:30:00',
  valueToken: '098',
  value: 98,
  unit: 'mg/dL',
  controlSolution: false,
  raw: 'line',
  receivedAt: new Date('2024-10-27T08:00:31.000Z'),
  ...over,
});

test('clock offset: gateway minus meter, meter time placed in the zone', () => {
  // Meter says 09:00 CET = 08:00Z; gateway read it at 08:00:30Z.
  assert.equal(clockOffsetMs(config, 'Europe/Berlin'), 30_000);
});

test('records become valid Readings with stable identities; repeats get #n; unusable ones stay out', () => {
  const out = processRecords(
    'onetouch-ultra2',
    config,
    [
      rec({}),
      rec({}),
      rec({ controlSolution: true, valueToken: '098' }),
      rec({
        valueToken: 'HI',
        value: 600,
        flag: 'high',
        localTime: '2024-03-31T02:30:00',
        deviceTime: '03/31/24 02:30:00',
      }),
      rec({ unusable: 'parity error', raw: 'bad' }),
    ],
    'Europe/Berlin',
  );
  assert.deepEqual(
    out.readings.map((r) => [r.identity, r.effectiveAt, r.flag ?? null, r.controlSolution]),
    [
      ['t:10/27/24 02:30:00:098', '2024-10-27T00:30:00.000Z', null, false],
      ['t:10/27/24 02:30:00:098#2', '2024-10-27T00:30:00.000Z', null, false],
      ['t:10/27/24 02:30:00:C098', '2024-10-27T00:30:00.000Z', null, true],
      ['t:03/31/24 02:30:00:HI', '2024-03-31T01:30:00.000Z', 'high', false],
    ],
  );
  assert.deepEqual(out.unusable, [{ raw: 'bad', reason: 'parity error' }]);
  for (const r of out.readings) {
    assert.equal(validateReading(r), null);
    assert.equal(r.device.key, 'serial:onetouch-ultra2:12345678Y');
    assert.equal(r.specimen, 'capillary');
    assert.equal(r.clockOffsetMs, 30_000);
  }
});
