// Assignment periods: a device handed to the next patient keeps its history with the one it belonged to.
// Searches, reads, $include targets and CGM chunks all go by the periods; the recorder's order-independent
// apply ends with the same windows as the hub; today's rows become open periods covering the device's history.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { bgSeries, cgmSeries } from '../../../firmware-bridge/synthetic-readings.ts';
import { MIV_CODES } from '../../../gateway/hddt/codes.ts';
import { ingest } from '../../../gateway/ingest/pipeline.ts';
import {
  AssignmentError,
  allPeriods,
  assignDevice,
  periodsOfDevice,
  unassignDevice,
  windowsOfPatient,
} from '../../../gateway/store/assignments.ts';
import {
  cgmChunksInRange,
  readVisible,
  resolveReference,
  searchResources,
  type SearchScope,
  type StoreSearch,
} from '../../../gateway/store/fhir-search.ts';
import { migrations } from '../../../gateway/store/migrations/index.ts';
import { removePatientAccount } from '../../../gateway/store/oauth-accounts.ts';
import { addPatient } from '../../../gateway/store/patients.ts';
import { listResources } from '../../../gateway/store/resources.ts';
import { applyPeriod } from '../../../gateway/store/sync-inbox.ts';
import { migrate, openStore, type Store } from '../../../gateway/store/store.ts';
import { tempDir } from '../../helpers/tmp.ts';

const HOUR = 3_600_000;
const T0 = Date.parse('2025-10-01T00:00:00Z');
const mapping = {
  chunkMinutes: 60,
  delayFromRealTimeSeconds: 900,
  cgmDefaultLimits: { lower: 40, upper: 400 },
};

function fresh(t: { after: (fn: () => void) => void }): Store {
  const { dir, cleanup } = tempDir('hddt-periods-');
  const store = openStore({ path: path.join(dir, 'hddt.sqlite') });
  t.after(() => {
    store.close();
    cleanup();
  });
  return store;
}

const scope = (patientId: string): SearchScope => ({
  patientId,
  groups: [
    { codes: MIV_CODES.bloodGlucose, minEffectiveEndMs: 0 },
    { codes: MIV_CODES.cgm, minEffectiveEndMs: 0 },
  ],
});

function observations(store: Store, patientId: string, sort: 'date' | 'lastUpdated' = 'date'): string[] {
  const q: StoreSearch = {
    type: 'Observation',
    scope: scope(patientId),
    sort: { key: sort, desc: false },
    count: 10_000,
  };
  return searchResources(store, q)
    .rows.map((r) => r.id)
    .sort();
}

const startOf = (store: Store, id: string) =>
  listResources(store).find((r) => r.id === id)!.effective_start_ms!;

test('a reassigned meter hands none of its history to the next patient', (t) => {
  const store = fresh(t);
  const a = addPatient(store, 'alice', T0).id;
  const b = addPatient(store, 'bob', T0).id;
  const meter = 'serial:meter-1';
  // 3 days of readings, 8 a day; the meter changes hands at the start of day 2
  const readings = bgSeries({ deviceKey: meter, start: new Date(T0), days: 3, perDay: 8, seed: 1 });
  ingest(store, readings, { now: new Date(T0 + 3 * 24 * HOUR), mapping });
  const handOver = T0 + 24 * HOUR;
  assignDevice(store, meter, a, T0 + 60_000);
  assignDevice(store, meter, b, handOver);

  const all = listResources(store, 'Observation');
  const before = all
    .filter((r) => r.effective_start_ms! < handOver)
    .map((r) => r.id)
    .sort();
  const after = all
    .filter((r) => r.effective_start_ms! >= handOver)
    .map((r) => r.id)
    .sort();
  assert.ok(before.length === 8 && after.length === 16);
  // the first period covers what the meter held before its first assignment, the second starts at the handover
  assert.deepEqual(observations(store, a), before);
  assert.deepEqual(observations(store, b), after);
  assert.deepEqual(observations(store, a, 'lastUpdated'), before, 'the generic (non-date) search too');
  assert.deepEqual(observations(store, b, 'lastUpdated'), after);
  for (const id of after) assert.equal(readVisible(store, 'Observation', id, scope(a)), undefined);
  for (const id of before) assert.ok(readVisible(store, 'Observation', id, scope(a)));

  // Device and DeviceMetric: visible to both (each has Observations of the meter), reachable by reference
  const obsB = readVisible(store, 'Observation', after[0], scope(b))!;
  assert.ok(resolveReference(store, obsB.ref!, scope(b)));
  assert.equal(searchResources(store, { ...searchDevices, scope: scope(a) }).rows.length, 1);
  assert.equal(searchResources(store, { ...searchDevices, scope: scope(b) }).rows.length, 1);

  // history keeps both periods; unassigning closes the second; new readings then belong to nobody
  unassignDevice(store, meter, T0 + 3 * 24 * HOUR);
  assert.deepEqual(
    periodsOfDevice(store, meter).map((p) => [p.patient_id, p.from_ms, p.until_ms]),
    [
      [a, 0, handOver],
      [b, handOver, T0 + 3 * 24 * HOUR],
    ],
  );
  const later = bgSeries({
    deviceKey: meter,
    start: new Date(T0 + 3 * 24 * HOUR),
    days: 1,
    perDay: 4,
    seed: 9,
  });
  ingest(store, later, { now: new Date(T0 + 4 * 24 * HOUR), mapping });
  assert.deepEqual(observations(store, a), before);
  assert.deepEqual(observations(store, b), after);
});

const searchDevices: StoreSearch = {
  type: 'Device',
  scope: scope(''),
  sort: { key: 'id', desc: false },
  count: 100,
};

test("a CGM chunk is a patient's only when it lies inside their period; the hour of the handover is nobody's", (t) => {
  const store = fresh(t);
  const a = addPatient(store, 'alice', T0).id;
  const b = addPatient(store, 'bob', T0).id;
  const cgm = 'ble:cgm-1';
  ingest(
    store,
    cgmSeries({ deviceKey: cgm, sessionStart: new Date(T0), count: 6 * 12, intervalMinutes: 5, seed: 2 }),
    {
      now: new Date(T0 + 7 * HOUR),
      mapping,
    },
  );
  assignDevice(store, cgm, a, T0);
  assignDevice(store, cgm, b, T0 + 2.5 * HOUR); // inside the third chunk
  const ofA = observations(store, a).map((id) => startOf(store, id));
  const ofB = observations(store, b).map((id) => startOf(store, id));
  assert.deepEqual(ofA.sort(), [T0, T0 + HOUR]);
  assert.deepEqual(ofB.sort(), [T0 + 3 * HOUR, T0 + 4 * HOUR, T0 + 5 * HOUR]);
  // $hddt-cgm-summary reads chunks through the same rule
  const chunks = (p: string) => cgmChunksInRange(store, scope(p), MIV_CODES.cgm, T0, T0 + 6 * HOUR).length;
  assert.deepEqual([chunks(a), chunks(b)], [2, 3]);
});

test('assignment rules: same patient again keeps the period; a chosen start may not overlap; unknown devices', (t) => {
  const store = fresh(t);
  const a = addPatient(store, 'alice', T0).id;
  const b = addPatient(store, 'bob', T0).id;
  ingest(store, bgSeries({ deviceKey: 'serial:m', start: new Date(T0), days: 1, perDay: 2 }), {
    now: new Date(T0 + HOUR),
    mapping,
  });
  const first = assignDevice(store, 'serial:m', a, T0 + 10, { requireSeen: true });
  assert.equal(assignDevice(store, 'serial:m', a, T0 + 20).id, first.id);
  assert.equal(periodsOfDevice(store, 'serial:m').length, 1);
  assert.throws(
    () => assignDevice(store, 'serial:m', b, T0 + 30, { fromMs: T0 + 5 }),
    (e: unknown) =>
      e instanceof AssignmentError && e.code === 'ERR_PERIOD_INVALID' && /overlap/.test(e.message),
  );
  assert.deepEqual(
    periodsOfDevice(store, 'serial:m').map((p) => p.until_ms),
    [null],
    'a refusal changes nothing',
  );
  assert.throws(() => assignDevice(store, 'serial:m', b, T0 + 30, { fromMs: T0 + 99 }), /in the past/);
  assert.throws(
    () => assignDevice(store, 'serial:typo', b, T0, { requireSeen: true }),
    (e: unknown) => e instanceof AssignmentError && e.code === 'ERR_DEVICE_UNKNOWN',
  );
  assert.equal(assignDevice(store, 'serial:later', b, T0).from_ms, 0, 'pre-registered');
  // removal of a patient ends their periods and keeps them
  removePatientAccount(store, a, T0 + 40);
  assert.deepEqual(
    periodsOfDevice(store, 'serial:m').map((p) => [p.patient_id, p.until_ms]),
    [[a, T0 + 40]],
  );
});

test("migration 8: today's assignments become open periods over the device's whole history", (t) => {
  const { dir, cleanup } = tempDir('hddt-periods-migrate-');
  t.after(cleanup);
  const file = path.join(dir, 'hddt.sqlite');
  const db = new Database(file);
  migrate(
    db,
    migrations.filter((m) => m.version < 8),
  );
  db.prepare(
    "INSERT INTO patients (id, username, created_ms) VALUES ('p1', 'alice', 1), ('p2', 'bob', 1)",
  ).run();
  db.prepare(
    "INSERT INTO device_assignments (device_key, patient_id, assigned_ms) VALUES ('ble:1', 'p1', 500), ('ble:2', 'p2', 900)",
  ).run();
  db.close();
  const store = openStore({ path: file });
  t.after(() => store.close());
  assert.deepEqual(
    allPeriods(store).map((p) => [p.device_key, p.patient_id, p.from_ms, p.until_ms, p.queued_rev]),
    [
      ['ble:1', 'p1', 0, null, null],
      ['ble:2', 'p2', 0, null, null],
    ],
  );
  // the view keeps "who has it now" for its readers
  assert.deepEqual(
    store.db.prepare('SELECT device_key, patient_id FROM device_assignments ORDER BY 1').all(),
    [
      { device_key: 'ble:1', patient_id: 'p1' },
      { device_key: 'ble:2', patient_id: 'p2' },
    ],
  );
});

test("recorder: periods applied in any order and any number of times end as the hub's windows", (t) => {
  const hub = fresh(t);
  const patients = ['p0', 'p1', 'p2'].map((name) => addPatient(hub, name, T0).id);
  // a hub's history of one device: assignments to random patients and unassignments at increasing times
  const steps = fc.array(
    fc.record({ who: fc.integer({ min: -1, max: 2 }), gap: fc.integer({ min: 1, max: 1000 }) }),
    {
      minLength: 1,
      maxLength: 12,
    },
  );
  fc.assert(
    fc.property(steps, fc.integer(), (plan, seed) => {
      hub.db.prepare('DELETE FROM device_assignment_periods').run();
      let now = T0;
      for (const s of plan) {
        now += s.gap;
        if (s.who < 0) unassignDevice(hub, 'k', now);
        else assignDevice(hub, 'k', patients[s.who], now);
      }
      // every state each period went through, as queued, delivered shuffled and some twice
      const entries = allPeriods(hub).flatMap((p) => [
        { ...p, until_ms: null },
        ...(p.until_ms === null ? [] : [p]),
      ]);
      const delivered = shuffle([...entries, ...entries.filter((_, i) => i % 3 === 0)], seed);
      const recorder = openStore({ path: ':memory:' });
      try {
        for (const e of delivered)
          applyPeriod(recorder, e.device_key, e.patient_id, e.from_ms, e.until_ms, now);
        for (const p of patients) assert.deepEqual(windowsOfPatient(recorder, p), windowsOfPatient(hub, p));
      } finally {
        recorder.close();
      }
    }),
    { numRuns: 200 },
  );
});

function shuffle<T>(xs: T[], seed: number): T[] {
  let s = seed >>> 0;
  for (let i = xs.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}
