import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ingest } from '../../../gateway/ingest/pipeline.ts';
import type { Reading } from '../../../gateway/readings/reading.ts';
import { refreshTimeDependent } from '../../../gateway/ingest/refresh.ts';
import { openStore } from '../../../gateway/store/store.ts';
import { countReadings, lastRecordNumber, listReadings } from '../../../gateway/store/readings.ts';
import {
  getResourceVersion,
  listResources,
  parseResource,
  type ResourceRow,
} from '../../../gateway/store/resources.ts';
import { bgSeries, cgmSeries } from '../../../firmware-bridge/synthetic-readings.ts';
import { validateR4 } from '../../helpers/fhir-validate.ts';
import { tempDir } from '../../helpers/tmp.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const T0 = new Date('2025-10-28T06:00:00Z');
const mapping = {
  chunkMinutes: 60,
  delayFromRealTimeSeconds: 900,
  cgmDefaultLimits: { lower: 40, upper: 400 },
};

function fresh(t: { after: (fn: () => void) => void }) {
  const { dir, cleanup } = tempDir();
  const file = path.join(dir, 'db', 'hddt.sqlite');
  const store = openStore({ path: file });
  t.after(() => {
    store.close();
    cleanup();
  });
  return { store, file };
}

const resourcesOf = (store: ReturnType<typeof openStore>, type: string) =>
  listResources(store, type).map((r) => parseResource<Json>(r));

test('same record twice is stored once, also across a restart', (t) => {
  const { store, file } = fresh(t);
  const cgm = cgmSeries({ deviceKey: 'ble:01', sessionStart: T0, count: 90 });
  const now = new Date(T0.getTime() + 90 * 60_000);
  assert.deepEqual(ingest(store, cgm, { now, mapping }), { stored: 90, duplicates: 0, rejected: [] });
  assert.deepEqual(ingest(store, cgm.slice(0, 10), { now, mapping }), {
    stored: 0,
    duplicates: 10,
    rejected: [],
  });
  store.close();
  const again = openStore({ path: file });
  t.after(() => again.close());
  assert.deepEqual(ingest(again, cgm, { now, mapping }), { stored: 0, duplicates: 90, rejected: [] });
  assert.equal(countReadings(again), 90);
  assert.equal(lastRecordNumber(again, 'ble:01'), 89);
  assert.equal(lastRecordNumber(again, 'ble:01', T0.toISOString()), 89);
});

test('the database file is created 0600 in a 0700 folder, WAL, schema version set', (t) => {
  const { store, file } = fresh(t);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
  assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(store.db.pragma('synchronous', { simple: true }), 2, 'synchronous = FULL');
  assert.ok((store.db.pragma('user_version', { simple: true }) as number) >= 1);
});

test('bad readings are rejected with their index and reason; the rest of the batch is stored', (t) => {
  const { store } = fresh(t);
  const good = bgSeries({ deviceKey: 'ble:bg', start: T0, days: 1, perDay: 3 });
  const bad: Json[] = [
    { ...good[0], identity: 'seq:100', value: Number.NaN },
    { ...good[0], identity: 'seq:101', unit: 'mg/dl' },
    { ...good[0], identity: 'seq:102', effectiveAt: 'yesterday' },
    { ...good[0], identity: '' },
    { ...good[0], identity: 'seq:103', flag: 'error', value: 5 },
    { ...cgmSeries({ deviceKey: 'ble:cgm', sessionStart: T0, count: 1 })[0], session: undefined },
    null,
  ];
  const res = ingest(store, [...good, ...(bad as Reading[])], { now: T0, mapping });
  assert.equal(res.stored, 3);
  assert.deepEqual(
    res.rejected.map((r) => [r.index, r.reason]),
    [
      [3, 'value must be a finite number'],
      [4, 'unit must be "mg/dL" or "mmol/L", got "mg/dl"'],
      [5, 'effectiveAt is not a valid time: "yesterday"'],
      [6, 'identity must be a non-empty string of at most 200 characters'],
      [7, 'a reading flagged error must have value null'],
      [8, 'a CGM reading needs its sensor session'],
      [9, 'reading must be an object'],
    ],
  );
  assert.equal(countReadings(store), 3);
});

test('a batch is one transaction: a failure inside it stores nothing of it and keeps what was there', (t) => {
  const { store } = fresh(t);
  const bg = bgSeries({ deviceKey: 'ble:bg', start: T0, days: 2, perDay: 4 });
  ingest(store, bg.slice(0, 4), { now: T0, mapping });
  let calls = 0;
  store.outbox = {
    resource: () => {
      if (++calls === 3) throw new Error('disk full (simulated by the outbox)');
    },
    period: () => undefined,
  };
  assert.throws(() => ingest(store, bg.slice(4), { now: T0, mapping }), /disk full/);
  store.outbox = undefined;
  assert.equal(countReadings(store), 4);
  assert.equal(resourcesOf(store, 'Observation').length, 4);
  assert.equal(ingest(store, bg.slice(4), { now: T0, mapping }).stored, 4);
});

test('control-solution readings are stored for audit but never become Observations', (t) => {
  const { store } = fresh(t);
  const [a, b] = bgSeries({ deviceKey: 'serial:m', start: T0, days: 1, perDay: 2 });
  const res = ingest(store, [a, { ...b, controlSolution: true }], { now: T0, mapping });
  assert.equal(res.stored, 2);
  assert.equal(listReadings(store, 'serial:m').filter((r) => r.controlSolution).length, 1);
  const obs = resourcesOf(store, 'Observation');
  assert.equal(obs.length, 1);
  assert.equal(obs[0].valueQuantity.value, a.value);
});

test('raw bytes, device time and clock offset are kept exactly', (t) => {
  const { store } = fresh(t);
  const [r] = bgSeries({ deviceKey: 'serial:x', start: T0, days: 1, perDay: 1 });
  ingest(
    store,
    [
      {
        ...r,
        raw: 'P "WED","10/28/25","06:00:00   ","  105 ","N","00", 00 099D',
        deviceTime: '10/28/25 06:00:00',
        clockOffsetMs: -93_500,
      },
    ],
    { now: T0, mapping },
  );
  const [s] = listReadings(store, 'serial:x');
  assert.equal(s.raw, 'P "WED","10/28/25","06:00:00   ","  105 ","N","00", 00 099D');
  assert.equal(s.deviceTime, '10/28/25 06:00:00');
  assert.equal(s.clockOffsetMs, -93_500);
  assert.equal(s.effectiveAt, r.effectiveAt);
});

test('CGM: 1-hour chunks, preliminary while open, final when closed; resources valid R4', (t) => {
  const { store } = fresh(t);
  // 06:00..07:29 → chunk 06:00 complete, chunk 07:00 open at 07:30
  ingest(store, cgmSeries({ deviceKey: 'ble:c', sessionStart: T0, count: 90 }), {
    now: new Date(T0.getTime() + 90 * 60_000),
    mapping,
  });
  const chunks = resourcesOf(store, 'Observation').sort((a, b) =>
    a.effectivePeriod.start.localeCompare(b.effectivePeriod.start),
  );
  assert.equal(chunks.length, 2);
  assert.equal(chunks[0].status, 'final');
  assert.equal(chunks[0].valueSampledData.data.split(' ').length, 60);
  assert.equal(chunks[0].effectivePeriod.start, '2025-10-28T06:00:00Z');
  assert.equal(chunks[0].effectivePeriod.end, '2025-10-28T07:00:00Z');
  assert.equal(chunks[1].status, 'preliminary');
  assert.equal(chunks[1].valueSampledData.data.split(' ').length, 30);
  const [metric] = resourcesOf(store, 'DeviceMetric');
  const [device] = resourcesOf(store, 'Device');
  assert.equal(chunks[0].device.reference, `DeviceMetric/${metric.id}`);
  assert.equal(metric.source.reference, `Device/${device.id}`);
  assert.equal(device.status, 'active');
  assert.equal(device.expirationDate, '2025-11-11');
  for (const r of [...chunks, metric, device]) validateR4(r);
  // time passes: the open chunk is finalised by the periodic job, with a new version
  refreshTimeDependent(store, T0.getTime() + 121 * 60_000, mapping);
  const later = resourcesOf(store, 'Observation').find((o) => o.id === chunks[1].id);
  assert.equal(later.status, 'final');
  assert.equal(later.meta.versionId, '2');
  assert.equal(later.valueSampledData.data.split(' ').length, 60);
  assert.equal(later.valueSampledData.data.split(' ').slice(30).join(''), 'E'.repeat(30));
});

test('a backfilled sample re-renders its chunk with a new versionId and lastUpdated', (t) => {
  const { store } = fresh(t);
  const all = cgmSeries({ deviceKey: 'ble:c', sessionStart: T0, count: 60 });
  const withGap = all.filter((_, i) => i !== 10);
  const t1 = new Date(T0.getTime() + 61 * 60_000);
  ingest(store, withGap, { now: t1, mapping });
  const [before] = resourcesOf(store, 'Observation');
  assert.equal(before.valueSampledData.data.split(' ')[10], 'E');
  const t2 = new Date(t1.getTime() + 5 * 60_000);
  ingest(store, [all[10]], { now: t2, mapping });
  const [after] = resourcesOf(store, 'Observation');
  assert.equal(after.id, before.id);
  assert.equal(after.meta.versionId, String(Number(before.meta.versionId) + 1));
  assert.equal(after.meta.lastUpdated, t2.toISOString());
  assert.equal(after.valueSampledData.data.split(' ')[10], String(all[10].value));
});

test('a new sensor session is a new Device; the old one turns inactive and its open chunk final', (t) => {
  const { store } = fresh(t);
  ingest(store, cgmSeries({ deviceKey: 'ble:c', sessionStart: T0, count: 30 }), {
    now: new Date(T0.getTime() + 30 * 60_000),
    mapping,
  });
  const s2 = new Date(T0.getTime() + 40 * 60_000);
  ingest(store, cgmSeries({ deviceKey: 'ble:c', sessionStart: s2, count: 5 }), {
    now: new Date(s2.getTime() + 5 * 60_000),
    mapping,
  });
  const devices = resourcesOf(store, 'Device');
  assert.equal(devices.length, 2);
  assert.deepEqual(devices.map((d) => d.status).sort(), ['active', 'inactive']);
  const metrics = resourcesOf(store, 'DeviceMetric');
  assert.equal(metrics.length, 2);
  const chunks = resourcesOf(store, 'Observation');
  assert.equal(chunks.length, 2, 'same hour, two sessions → two chunks distinguishable by device');
  const oldMetric = metrics.find((m) => m.operationalStatus === 'off');
  const oldChunk = chunks.find((c) => c.device.reference === `DeviceMetric/${oldMetric.id}`);
  assert.equal(oldChunk.status, 'final');
  assert.notEqual(new Set(chunks.map((c) => c.device.reference)).size, 1);
});

test('a calibration change is a new DeviceMetric version, and the old version stays readable', (t) => {
  const { store } = fresh(t);
  const series = cgmSeries({ deviceKey: 'ble:c', sessionStart: T0, count: 20 });
  ingest(store, series.slice(0, 10), { now: T0, mapping });
  const [m1] = listResources(store, 'DeviceMetric');
  const recal = series.slice(10).map((r) => ({
    ...r,
    calibration: { state: 'calibrated' as const, time: '2025-10-28T06:09:30Z' },
  }));
  ingest(store, recal, { now: new Date(T0.getTime() + 20 * 60_000), mapping });
  const [m2] = listResources(store, 'DeviceMetric');
  assert.equal(m2.id, m1.id);
  assert.equal(m2.version, m1.version + 1);
  assert.equal(parseResource<Json>(m2).calibration[0].time, '2025-10-28T06:09:30Z');
  const old = getResourceVersion(store, 'DeviceMetric', m1.id, m1.version);
  assert.equal(old?.json, m1.json);
});

test('Device.status becomes unknown when not synced for longer than the delay', (t) => {
  const { store } = fresh(t);
  ingest(store, bgSeries({ deviceKey: 'ble:bg', start: T0, days: 1, perDay: 1 }), { now: T0, mapping });
  const receivedMs = Date.parse(listReadings(store, 'ble:bg')[0].receivedAt);
  refreshTimeDependent(store, receivedMs + 900_000, mapping);
  assert.equal(resourcesOf(store, 'Device')[0].status, 'active');
  refreshTimeDependent(store, receivedMs + 900_001, mapping);
  const d = resourcesOf(store, 'Device')[0];
  assert.equal(d.status, 'unknown');
  assert.equal(d.meta.versionId, '2');
});

test('ids are stable, unguessable hex, and no resource carries patient data', (t) => {
  const { store } = fresh(t);
  const changes: ResourceRow[] = [];
  store.outbox = { resource: (row) => changes.push(row), period: () => undefined };
  ingest(store, bgSeries({ deviceKey: 'ble:bg', start: T0, days: 3 }), { now: T0, mapping });
  const ids = listResources(store).map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids) assert.match(id, /^[0-9a-f]{32}$/);
  for (const r of listResources(store)) {
    const o = parseResource<Json>(r);
    assert.equal(o.subject, undefined);
    assert.equal(o.patient, undefined);
  }
  assert.equal(changes.length, listResources(store).length);
  // another gateway (another secret) gives other ids for the same records
  const other = fresh(t).store;
  ingest(other, bgSeries({ deviceKey: 'ble:bg', start: T0, days: 3 }), { now: T0, mapping });
  const otherIds = new Set(listResources(other).map((r) => r.id));
  assert.ok(ids.every((id) => !otherIds.has(id)));
});

test('a store written by a newer gateway is refused instead of being damaged', (t) => {
  const { store, file } = fresh(t);
  store.db.pragma('user_version = 999');
  store.close();
  assert.throws(() => openStore({ path: file }), /schema version 999 is newer/);
});
