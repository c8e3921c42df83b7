// Chunk periods of an active CGM session without samples (HDDT §2.2): a preliminary Observation with
// dataAbsentReason temp-unknown while open, final with `E` slots after its end, the same id throughout, a new
// version when samples arrive later, every version through the outbox; nothing past the session's end or
// before the historic data period.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { bgSeries, cgmSeries } from '../../../firmware-bridge/synthetic-readings.ts';
import { chunkId } from '../../../gateway/ingest/resources.ts';
import { mappingFromConfig, type MappingOptions } from '../../../gateway/hddt/mapping.ts';
import { refreshTimeDependent } from '../../../gateway/ingest/refresh.ts';
import { ingest } from '../../../gateway/ingest/pipeline.ts';
import { listSessions, getDevice } from '../../../gateway/store/devices.ts';
import { nextUnsent } from '../../../gateway/store/outbox.ts';
import { getResource, listResources, parseResource } from '../../../gateway/store/resources.ts';
import { openStore, type Store } from '../../../gateway/store/store.ts';
import { attachOutbox } from '../../../gateway/sync/outbox-writer.ts';
import { example } from '../../helpers/examples.ts';
import { validateR4 } from '../../helpers/fhir-validate.ts';
import { tempDir } from '../../helpers/tmp.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.parse('2025-10-28T06:00:00Z');
const KEY = 'ble:cg:00:00:00:01';
const mapping: MappingOptions = {
  chunkMinutes: 60,
  delayFromRealTimeSeconds: 900,
  cgmDefaultLimits: { lower: 40, upper: 400 },
};

function fresh(t: { after: (fn: () => void) => void }): Store {
  const { dir, cleanup } = tempDir();
  const store = openStore({ path: path.join(dir, 'hddt.sqlite') });
  t.after(() => {
    store.close();
    cleanup();
  });
  return store;
}

/** CGM minutes [from, to) of a 3-hour sensor session starting at T0 (it expires at 09:00). */
const cgm = (from: number, to: number) =>
  cgmSeries({
    deviceKey: KEY,
    sessionStart: new Date(T0),
    sessionDays: 3 / 24,
    firstIndex: from,
    count: to - from,
  });

const chunks = (store: Store): Json[] =>
  listResources(store, 'Observation')
    .map((r) => parseResource<Json>(r))
    .filter((o) => o.code.coding[0].code === '99504-3')
    .sort((a, b) => a.effectivePeriod.start.localeCompare(b.effectivePeriod.start));

const read = (store: Store, id: string): Json => parseResource<Json>(getResource(store, 'Observation', id)!);

test('an hour without samples is temp-unknown while open, final with E slots after, updated by a backfill', (t) => {
  const store = fresh(t);
  attachOutbox(store, { now: () => T0 });
  ingest(store, cgm(0, 30), { now: new Date(T0 + 30 * MIN), mapping });
  ingest(store, bgSeries({ deviceKey: 'ble:bg:01', start: new Date(T0), days: 1, perDay: 2 }), {
    now: new Date(T0 + 30 * MIN),
    mapping,
  });
  const session = listSessions(store, getDevice(store, KEY)!.id)[0];
  const emptyId = chunkId(store, session.metric_fhir_id, T0 + HOUR);

  // 07:05, no sample since 06:29: the open hour 07:00-08:00 is served, as HDDT's data-unavailable example
  refreshTimeDependent(store, T0 + HOUR + 5 * MIN, mapping);
  const open = read(store, emptyId);
  validateR4(open);
  const ex = example('Observation-example-cgm-series-data-unavailable');
  assert.equal(open.status, ex.status);
  assert.deepEqual(open.dataAbsentReason, ex.dataAbsentReason);
  assert.deepEqual(open.meta.profile, ex.meta.profile);
  assert.equal(open.valueSampledData, undefined);
  assert.deepEqual(open.effectivePeriod, { start: '2025-10-28T07:00:00Z', end: '2025-10-28T08:00:00Z' });
  assert.deepEqual(open.device, { reference: `DeviceMetric/${session.metric_fhir_id}` });
  assert.equal(open.meta.versionId, '1');
  assert.deepEqual(
    chunks(store).map((c) => c.id),
    [chunkId(store, session.metric_fhir_id, T0), emptyId],
    'one chunk per hour of the session; the BG meter gets none',
  );
  // the time keeper running again changes nothing
  refreshTimeDependent(store, T0 + HOUR + 6 * MIN, mapping);
  assert.equal(read(store, emptyId).meta.versionId, '1');

  // 08:01: the hour is over and final like any chunk; the next one is open and empty
  refreshTimeDependent(store, T0 + 2 * HOUR + MIN, mapping);
  const closed = read(store, emptyId);
  validateR4(closed);
  assert.equal(closed.status, 'final');
  assert.equal(closed.meta.versionId, '2');
  assert.equal(closed.dataAbsentReason, undefined);
  assert.equal(closed.valueSampledData.data, Array(60).fill('E').join(' '));
  const next = read(store, chunkId(store, session.metric_fhir_id, T0 + 2 * HOUR));
  assert.equal(next.status, 'preliminary');
  assert.equal(next.dataAbsentReason.coding[0].code, 'temp-unknown');

  // 08:02: the sensor's memory is read back: the hour gets its values under the same id, a new version
  ingest(store, cgm(60, 90), { now: new Date(T0 + 2 * HOUR + 2 * MIN), mapping });
  const backfilled = read(store, emptyId);
  validateR4(backfilled);
  assert.equal(backfilled.meta.versionId, '3');
  assert.equal(backfilled.meta.lastUpdated, new Date(T0 + 2 * HOUR + 2 * MIN).toISOString());
  assert.equal(backfilled.status, 'final');
  const slots = backfilled.valueSampledData.data.split(' ');
  assert.equal(slots.length, 60);
  assert.deepEqual(
    slots.slice(0, 30),
    cgm(60, 90).map((r) => String(r.value)),
  );
  assert.equal(slots.slice(30).join(''), 'E'.repeat(30));
  // samples in the open empty hour: values, no dataAbsentReason any more
  ingest(store, cgm(120, 126), { now: new Date(T0 + 2 * HOUR + 6 * MIN), mapping });
  const filling = read(store, next.id);
  assert.equal(filling.status, 'preliminary');
  assert.equal(filling.dataAbsentReason, undefined);
  assert.equal(filling.valueSampledData.data.split(' ').length, 6);

  // every version went through the resource write path into the outbox
  const queued = nextUnsent(store, 0, 10_000).filter((e) => e.res_id === emptyId);
  assert.deepEqual(
    queued.map((e) => e.version),
    [1, 2, 3],
  );
  assert.equal(JSON.parse(queued[0].json!).dataAbsentReason.coding[0].code, 'temp-unknown');

  // 12:00: the sensor expired at 09:00: no chunk after its end, the last one final
  refreshTimeDependent(store, T0 + 6 * HOUR, mapping);
  const all = chunks(store);
  assert.deepEqual(
    all.map((c) => [c.effectivePeriod.start, c.status]),
    [
      ['2025-10-28T06:00:00Z', 'final'],
      ['2025-10-28T07:00:00Z', 'final'],
      ['2025-10-28T08:00:00Z', 'final'],
    ],
  );
});

test('a sensor warming up: the hours before its first sample get their chunks, from the session start', (t) => {
  const store = fresh(t);
  // first sample at 08:10 of a session that started at 06:00
  ingest(store, cgm(130, 131), { now: new Date(T0 + 2 * HOUR + 11 * MIN), mapping });
  refreshTimeDependent(store, T0 + 2 * HOUR + 11 * MIN, mapping);
  assert.deepEqual(
    chunks(store).map((c) => [c.effectivePeriod.start, c.status, c.dataAbsentReason?.coding[0].code ?? null]),
    [
      ['2025-10-28T06:00:00Z', 'final', null],
      ['2025-10-28T07:00:00Z', 'final', null],
      ['2025-10-28T08:00:00Z', 'preliminary', null],
    ],
  );
});

test('no chunk before the historic data period: retention removed those and must not see them again', (t) => {
  const store = fresh(t);
  const long = (minute: number) =>
    cgmSeries({ deviceKey: KEY, sessionStart: new Date(T0), firstIndex: minute, count: 1 });
  // a 14-day session; one sample on its third day; the CGM historic period is 1 day
  ingest(store, long(2 * 24 * 60), { now: new Date(T0 + 48 * HOUR), mapping });
  const now = T0 + 48 * HOUR + 30 * MIN;
  refreshTimeDependent(store, now, { ...mapping, cgmHistoricDays: 1 });
  const starts = chunks(store).map((c) => Date.parse(c.effectivePeriod.start));
  assert.equal(starts[0], T0 + 24 * HOUR);
  assert.equal(starts.at(-1), T0 + 48 * HOUR);
  assert.equal(starts.length, 25);
  // the time keeper takes the period from the configuration
  const hddt = { ...mapping, historicDataPeriodDays: { bloodGlucose: 30, cgm: 45 } };
  assert.equal(mappingFromConfig({ hddt }).cgmHistoricDays, 45);
});
