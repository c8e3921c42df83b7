import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dateRange, parseDateParam, DateParamError } from '../../../server/fhir/fhir-date.ts';
import { parseSearch, splitOr, type SearchContext } from '../../../server/fhir/search-params.ts';
import { FhirError } from '../../../server/fhir/outcome.ts';
import { decodeCursor, encodeCursor, searchDigest } from '../../../server/fhir/cursor.ts';

const NOW = Date.parse('2025-11-01T00:00:00Z');
const ctx: SearchContext = {
  nowMs: NOW,
  defaultCount: 50,
  maxCount: 200,
  mivs: ['bloodGlucose', 'cgm'],
  historicCutoffMs: NOW - 30 * 86_400_000,
};

test('dates of every precision stand for their whole range', () => {
  const cases: Array<[string, string, string]> = [
    ['2025', '2025-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'],
    ['2024-02', '2024-02-01T00:00:00.000Z', '2024-03-01T00:00:00.000Z'],
    ['2025-10-28', '2025-10-28T00:00:00.000Z', '2025-10-29T00:00:00.000Z'],
    ['2025-10-28T08:00Z', '2025-10-28T08:00:00.000Z', '2025-10-28T08:01:00.000Z'],
    ['2025-10-28T08:00:05Z', '2025-10-28T08:00:05.000Z', '2025-10-28T08:00:06.000Z'],
    ['2025-10-28T08:00:05.1Z', '2025-10-28T08:00:05.100Z', '2025-10-28T08:00:05.200Z'],
    ['2025-10-28T08:00:05.123Z', '2025-10-28T08:00:05.123Z', '2025-10-28T08:00:05.124Z'],
    ['2025-10-28T10:00:00+02:00', '2025-10-28T08:00:00.000Z', '2025-10-28T08:00:01.000Z'],
    ['2025-10-28T08:00:00', '2025-10-28T08:00:00.000Z', '2025-10-28T08:00:01.000Z'],
  ];
  for (const [text, lo, hi] of cases) {
    const r = dateRange(text);
    assert.equal(new Date(r.lo).toISOString(), lo, text);
    assert.equal(new Date(r.hi).toISOString(), hi, text);
  }
});

test('malformed dates are refused', () => {
  for (const bad of [
    '25-10-28',
    '2025-13',
    '2025-02-30',
    '2025-10-28T25:00Z',
    'yesterday',
    '2025-10-28T08',
    '',
  ]) {
    assert.throws(() => dateRange(bad), DateParamError, bad);
  }
});

test('every R4 prefix is understood, ap gets a tolerance', () => {
  for (const p of ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'] as const) {
    const c = parseDateParam(`${p}2025-10-28`, NOW);
    assert.equal(c.prefix, p);
    assert.equal(c.lo, Date.parse('2025-10-28T00:00:00Z'));
  }
  assert.equal(parseDateParam('2025-10-28', NOW).prefix, 'eq');
  assert.ok((parseDateParam('ap2025-10-21', NOW).tolerance ?? 0) > 0);
});

test('comma lists honour escapes', () => {
  assert.deepEqual(splitOr('a,b\\,c,d'), ['a', 'b,c', 'd']);
});

function error(fn: () => unknown): FhirError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof FhirError);
    return err;
  }
  assert.fail('expected a FhirError');
}

test('unknown parameters, malformed dates, invalid includes and explicit subjects are 400s naming the parameter', () => {
  const cases: Array<[string, [string, string][], RegExp]> = [
    ['Observation', [['foo', '1']], /Unknown search parameter foo/],
    ['Observation', [['code:text', 'x']], /Unknown search parameter code:text/],
    ['Observation', [['date', 'ge2025-13-01']], /Invalid date 'ge2025-13-01' for search parameter date/],
    ['Observation', [['_lastUpdated', 'gt-1']], /_lastUpdated/],
    ['Observation', [['_include', 'Observation:subject']], /Invalid _include 'Observation:subject'/],
    ['Observation', [['_include', 'DeviceMetric:source']], /Invalid _include/],
    ['Device', [['_include', 'Observation:device']], /Invalid _include/],
    ['Observation', [['_revinclude', 'Observation:device']], /_revinclude/],
    ['Observation', [['subject', 'Patient/1']], /subject is not allowed/],
    ['Observation', [['subject:Patient', '1']], /subject:Patient is not allowed/],
    ['Device', [['patient', '1']], /patient is not allowed/],
    ['Observation', [['_sort', 'value']], /Unsupported _sort/],
    ['Device', [['_sort', 'date']], /Unsupported _sort/],
    ['Observation', [['_count', '-1']], /_count/],
    ['Observation', [['value-quantity', 'gtabc']], /value-quantity/],
    ['Device', [['device-name:below', 'x']], /device-name:below/],
  ];
  for (const [type, params, re] of cases) {
    const e = error(() => parseSearch(type as 'Observation', params, ctx));
    assert.equal(e.status, 400, JSON.stringify(params));
    assert.match(JSON.stringify(e.outcome()), re, JSON.stringify(params));
  }
});

test('codes outside the grant make the search empty with a warning naming the code and ValueSet', () => {
  const bgOnly = { ...ctx, mivs: ['bloodGlucose' as const] };
  const p = parseSearch('Observation', [['code', 'http://loinc.org|99504-3']], bgOnly);
  assert.equal(p.empty, true);
  assert.match(
    p.warnings[0].diagnostics ?? '',
    /Code 99504-3 not in ValueSet .*hddt-miv-blood-glucose-measurement/,
  );
  const mixed = parseSearch('Observation', [['code', '99504-3,2339-0']], bgOnly);
  assert.equal(mixed.empty, false);
  assert.deepEqual(mixed.query.codes, [['2339-0']]);
  const foreignSystem = parseSearch('Observation', [['code', 'http://snomed.info/sct|2339-0']], ctx);
  assert.equal(foreignSystem.empty, true);
  const systemOnly = parseSearch('Observation', [['code', 'http://loinc.org|']], bgOnly);
  assert.equal(systemOnly.query.codes?.[0].length, 6);
  const valueSet = parseSearch(
    'Observation',
    [['code:in', 'https://gematik.de/fhir/hddt/ValueSet/hddt-miv-continuous-glucose-measurement']],
    ctx,
  );
  assert.deepEqual(valueSet.query.codes, [['99504-3', '105272-9']]);
});

test('a period wholly before the historic range is empty with a warning', () => {
  const p = parseSearch('Observation', [['date', 'lt2025-09-01']], ctx);
  assert.equal(p.empty, true);
  assert.match(p.warnings[0].diagnostics ?? '', /outside the historical time range/);
  assert.equal(parseSearch('Observation', [['date', 'ge2025-09-01']], ctx).empty, false);
});

test('_count is capped at the configured maximum; sort keys map to columns', () => {
  assert.equal(parseSearch('Observation', [['_count', '100000']], ctx).query.count, 200);
  assert.deepEqual(parseSearch('Observation', [['_sort', '-date']], ctx).query.sort, {
    key: 'date',
    desc: true,
  });
  assert.deepEqual(parseSearch('Device', [['_sort', '_lastUpdated']], ctx).query.sort, {
    key: 'lastUpdated',
    desc: false,
  });
});

test('value-quantity with units converts between mg/dL and mmol/L', () => {
  const p = parseSearch('Observation', [['value-quantity', 'ge5.5|http://unitsofmeasure.org|mmol/L']], ctx);
  const ranges = p.query.values![0].ranges;
  assert.equal(ranges.find((r) => r.unit === 'mmol/L')!.v, 5.5);
  assert.ok(Math.abs(ranges.find((r) => r.unit === 'mg/dL')!.v - 99.0858) < 1e-3);
  const eq = parseSearch('Observation', [['value-quantity', '120']], ctx).query.values![0].ranges[0];
  assert.deepEqual([eq.lo, eq.hi, eq.unit], [119.5, 120.5, null]);
});

test('cursors round-trip, and a forged or transplanted cursor is refused', () => {
  const secret = Buffer.alloc(32, 7);
  fc.assert(
    fc.property(
      fc.oneof(fc.integer(), fc.string()),
      fc.stringMatching(/^[a-f0-9]{1,32}$/),
      fc.boolean(),
      (v, id, next) => {
        const digest = searchDigest([['date', 'ge2025']]);
        const c = { v, id, dir: next ? ('next' as const) : ('prev' as const) };
        const text = encodeCursor(secret, c, digest);
        assert.deepEqual(decodeCursor(secret, text, digest), c);
        assert.equal(decodeCursor(secret, text, searchDigest([['date', 'ge2024']])), null);
        assert.equal(decodeCursor(Buffer.alloc(32, 8), text, digest), null);
        assert.equal(decodeCursor(secret, text.slice(0, -2) + 'AA', digest), null);
      },
    ),
  );
});
