// Generated resources compared field by field with gematik's HDDT examples, and validated against FHIR R4.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderBloodGlucose } from '../../../gateway/hddt/blood-glucose.ts';
import { renderCgmChunk, sampledData, type ChunkSample } from '../../../gateway/hddt/cgm-chunk.ts';
import { renderDevice, renderDeviceMetric } from '../../../gateway/hddt/device.ts';
import { example } from '../../helpers/examples.ts';
import { validateR4 } from '../../helpers/fhir-validate.ts';

const meta = { versionId: '1', lastUpdated: '2025-10-28T09:00:00.000Z' };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const asAny = (x: object): any => x;

test('blood glucose LO reading matches Observation-example-blood-glucose', () => {
  const ex = example('Observation-example-blood-glucose');
  const got = asAny(
    renderBloodGlucose(
      {
        id: ex.id,
        recordIdentity: 'dev/seq:1',
        value: 30,
        unit: 'mg/dL',
        flag: 'low',
        specimen: 'blood',
        effectiveMs: Date.parse(ex.effectiveDateTime),
        metricId: 'example-glucometer-metric',
      },
      meta,
    ),
  );
  assert.equal(got.resourceType, ex.resourceType);
  assert.deepEqual(got.meta.profile, ex.meta.profile);
  assert.deepEqual(got.valueQuantity, ex.valueQuantity);
  assert.equal(got.status, ex.status);
  assert.deepEqual(got.code, ex.code);
  assert.equal(got.effectiveDateTime, ex.effectiveDateTime);
  assert.deepEqual(got.device, ex.device);
  assert.deepEqual(got.identifier, [{ system: 'urn:hddt-gateway:record-identity', value: 'dev/seq:1' }]);
  validateR4(got);
});

test('blood glucose: LOINC by specimen and unit, HI as comparator >, failed measurement as dataAbsentReason', () => {
  const base = {
    id: 'x',
    recordIdentity: 'd/seq:2',
    specimen: 'capillary' as const,
    effectiveMs: Date.parse('2025-09-26T10:00:00Z'),
    metricId: 'm',
  };
  const mmol = asAny(renderBloodGlucose({ ...base, value: 6.7, unit: 'mmol/L', flag: null }, meta));
  assert.equal(mmol.code.coding[0].code, '14743-9');
  assert.deepEqual(mmol.valueQuantity, {
    value: 6.7,
    unit: 'mmol/l',
    system: 'http://unitsofmeasure.org',
    code: 'mmol/L',
  });
  const hi = asAny(renderBloodGlucose({ ...base, value: 600, unit: 'mg/dL', flag: 'high' }, meta));
  assert.equal(hi.code.coding[0].code, '41653-7');
  assert.equal(hi.valueQuantity.comparator, '>');
  const err = asAny(renderBloodGlucose({ ...base, value: null, unit: 'mg/dL', flag: 'error' }, meta));
  assert.equal(err.valueQuantity, undefined);
  assert.equal(err.dataAbsentReason.coding[0].code, 'error');
  const plasma = asAny(
    renderBloodGlucose({ ...base, specimen: 'plasma', value: 99, unit: 'mg/dL', flag: null }, meta),
  );
  assert.equal(plasma.code.coding[0].code, '2345-7');
  for (const r of [mmol, hi, err, plasma]) validateR4(r);
});

/** Turns an example's data string back into samples (L/U as flagged limits, E as gaps). */
function samplesFrom(data: string, startMs: number, periodMs: number): ChunkSample[] {
  const out: ChunkSample[] = [];
  data.split(' ').forEach((v, i) => {
    const at = startMs + i * periodMs;
    if (v === 'E') return;
    if (v === 'L') out.push({ effectiveMs: at, value: 35, unit: 'mg/dL', flag: 'low' });
    else if (v === 'U') out.push({ effectiveMs: at, value: 360, unit: 'mg/dL', flag: 'high' });
    else out.push({ effectiveMs: at, value: Number(v), unit: 'mg/dL', flag: null });
  });
  return out;
}

for (const name of ['Observation-example-cgm-series', 'Observation-example-cgm-series-incomplete']) {
  test(`CGM chunk matches ${name}`, () => {
    const ex = example(name);
    const startMs = Date.parse(ex.effectivePeriod.start);
    const endMs = Date.parse(ex.effectivePeriod.end);
    const sd = ex.valueSampledData;
    const got = asAny(
      renderCgmChunk(
        {
          id: ex.id,
          metricId: 'example-devicemetric-cgm',
          startMs,
          endMs,
          periodMs: sd.period,
          unit: 'mg/dL',
          lowerLimit: sd.lowerLimit ?? null,
          upperLimit: sd.upperLimit ?? null,
          status: ex.status,
          samples: samplesFrom(sd.data, startMs, sd.period),
        },
        meta,
      ),
    );
    assert.deepEqual(got.valueSampledData, sd);
    assert.equal(got.status, ex.status);
    assert.deepEqual(got.code, ex.code);
    assert.deepEqual(got.effectivePeriod, ex.effectivePeriod);
    assert.deepEqual(got.device, ex.device);
    assert.deepEqual(got.meta.profile, ex.meta.profile);
    validateR4(got);
  });
}

test('CGM chunk with 5-minute samples matches Observation-example-cgm-series-1 (our chunk end is exclusive)', () => {
  const ex = example('Observation-example-cgm-series-1');
  const startMs = Date.parse(ex.effectivePeriod.start);
  const got = asAny(
    renderCgmChunk(
      {
        id: ex.id,
        metricId: 'example-devicemetric-cgm',
        startMs,
        endMs: startMs + 3_600_000,
        periodMs: 300_000,
        unit: 'mg/dL',
        lowerLimit: null,
        upperLimit: null,
        status: 'final',
        samples: samplesFrom(ex.valueSampledData.data, startMs, 300_000),
      },
      meta,
    ),
  );
  assert.deepEqual(got.valueSampledData, ex.valueSampledData);
  // Documented choice: contiguous chunks end where the next starts (17:00:00Z), not at 16:59:59Z.
  assert.equal(got.effectivePeriod.start, ex.effectivePeriod.start);
  assert.equal(got.effectivePeriod.end, '2025-09-26T17:00:00Z');
  validateR4(got);
});

test('sampled data: E for a missing sample inside a chunk, L/U by limits, trailing gaps only when final', () => {
  const start = Date.parse('2025-01-01T00:00:00Z');
  const s = (min: number, value: number | null, flag: ChunkSample['flag'] = null): ChunkSample => ({
    effectiveMs: start + min * 60_000 + 20_000,
    value,
    unit: 'mg/dL',
    flag,
  });
  const input = {
    id: 'c',
    metricId: 'm',
    startMs: start,
    endMs: start + 600_000,
    periodMs: 60_000,
    unit: 'mg/dL' as const,
    lowerLimit: 40,
    upperLimit: 400,
    status: 'preliminary' as const,
    samples: [s(0, 100), s(2, 39), s(3, 401), s(4, null, 'error'), s(5, 72)],
  };
  assert.equal(sampledData(input), '100 E L U E 72');
  assert.equal(sampledData({ ...input, status: 'final' }), '100 E L U E 72 E E E E');
  // mmol/L readings in a mg/dL chunk are converted
  assert.equal(sampledData({ ...input, samples: [{ ...s(0, 5.5), unit: 'mmol/L' }] }), '99');
});

test('Device matches Device-example-device-cgm and Device-example-glucometer', () => {
  const cgm = example('Device-example-device-cgm');
  const got = asAny(
    renderDevice(
      {
        id: cgm.id,
        kind: 'cgm',
        status: 'active',
        name: 'GlukkoCGM 18',
        manufacturer: 'Glukko Inc.',
        model: 'GCGMA98765',
        serialNumber: 'CGM1234567890',
        expiresMs: Date.parse('2025-09-10T12:00:00Z'),
      },
      meta,
    ),
  );
  for (const k of [
    'status',
    'type',
    'deviceName',
    'modelNumber',
    'manufacturer',
    'serialNumber',
    'expirationDate',
  ]) {
    assert.deepEqual(got[k], cgm[k], k);
  }
  const bgm = example('Device-example-glucometer');
  const got2 = asAny(
    renderDevice(
      {
        id: bgm.id,
        kind: 'bgm',
        status: 'active',
        name: 'GlukkoCheck plus mg/dL',
        manufacturer: 'Glukko Inc.',
        model: 'CGPA987654',
        serialNumber: 'SN123456',
        expiresMs: null,
      },
      meta,
    ),
  );
  for (const k of ['status', 'type', 'deviceName', 'modelNumber', 'manufacturer', 'serialNumber']) {
    assert.deepEqual(got2[k], bgm[k], k);
  }
  assert.deepEqual(got2.meta.profile, bgm.meta.profile);
  assert.equal(got2.expirationDate, undefined);
  validateR4(got);
  validateR4(got2);
});

test('DeviceMetric matches DeviceMetric-example-devicemetric-cgm', () => {
  const ex = example('DeviceMetric-example-devicemetric-cgm');
  const got = asAny(
    renderDeviceMetric(
      {
        id: ex.id,
        deviceId: 'example-device-cgm',
        kind: 'cgm',
        unit: 'mg/dL',
        intervalSeconds: 60,
        active: true,
        calibrationState: 'calibrated',
        calibrationTime: null,
      },
      meta,
    ),
  );
  for (const k of [
    'type',
    'unit',
    'source',
    'operationalStatus',
    'category',
    'measurementPeriod',
    'calibration',
  ]) {
    assert.deepEqual(got[k], ex[k], k);
  }
  assert.deepEqual(got.meta.profile, ex.meta.profile);
  validateR4(got);
  // The glucometer metric uses the MDC capillary code (spec note 9), with calibration time when known.
  const bg = asAny(
    renderDeviceMetric(
      {
        id: 'm2',
        deviceId: 'd2',
        kind: 'bgm',
        unit: 'mg/dL',
        intervalSeconds: null,
        active: true,
        calibrationState: 'calibrated',
        calibrationTime: '2025-09-01T09:08:04+02:00',
      },
      meta,
    ),
  );
  assert.equal(bg.type.coding[0].code, '160184');
  assert.equal(bg.calibration[0].time, '2025-09-01T07:08:04Z');
  assert.equal(bg.measurementPeriod, undefined);
  validateR4(bg);
});
