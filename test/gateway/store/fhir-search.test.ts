// Observation date searches at the store level against a row-by-row oracle of the R4 date semantics: every
// prefix, both sort directions, the historic period, ties on the start time; keyset pages visit each match
// exactly once; a page seeks the keyset index from the cursor instead of filtering everything before it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  searchResources,
  type Cursor,
  type DateCond,
  type SearchScope,
  type SortSpec,
  type StoreSearch,
} from '../../../gateway/store/fhir-search.ts';
import { addPatient, assignDevice } from '../../../gateway/store/patients.ts';
import { writeResourceRow, type ResourceRow } from '../../../gateway/store/resources.ts';
import { buildDataset, scopeOf } from '../../server/fhir/fixture.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ds = buildDataset({ days: 3, cgmIntervalMinutes: 5 });
after(() => ds.cleanup());

const all = ds.store.db
  .prepare(
    `SELECT * FROM resources WHERE type = 'Observation' AND device_key IN (?, ?) ORDER BY effective_start_ms, id`,
  )
  .all(ds.devices.cgmA, ds.devices.bgA) as ResourceRow[];

// Ties: five more readings of the blood glucose meter at the very instant of an existing one.
const twin = all.find(
  (r) => r.device_key === ds.devices.bgA && r.effective_start_ms! > ds.start.getTime() + DAY,
)!;
for (const suffix of ['a', 'b', 'c', 'd', 'e']) {
  const id = `${twin.id.slice(0, 20)}tie${suffix}`;
  const row = { ...twin, id, json: twin.json.replace(twin.id, id) };
  writeResourceRow(ds.store, row);
  all.push(row);
}

/** The R4 comparison of dateClause, row by row: [rl, rh] inclusive, a period's end exclusive. */
function oracle(c: DateCond, r: ResourceRow): boolean {
  const rl = r.effective_start_ms!;
  const rh = Math.max((r.effective_end_ms ?? rl) - 1, rl);
  const tol = c.tolerance ?? 0;
  switch (c.prefix) {
    case 'eq':
      return rl >= c.lo && rh < c.hi;
    case 'ne':
      return !(rl >= c.lo && rh < c.hi);
    case 'gt':
      return rh >= c.hi;
    case 'ge':
      return rh >= c.lo;
    case 'lt':
      return rl < c.lo;
    case 'le':
      return rl < c.hi;
    case 'sa':
      return rl >= c.hi;
    case 'eb':
      return rh < c.lo;
    case 'ap':
      return rl < c.hi + tol && rh >= c.lo - tol;
  }
}

function expected(dates: DateCond[], scope: SearchScope, desc: boolean): string[] {
  const cutoff = scope.groups[0].minEffectiveEndMs;
  const rows = all
    .filter((r) => (r.effective_end_ms ?? r.effective_start_ms!) >= cutoff)
    .filter((r) => dates.every((c) => oracle(c, r)))
    .sort((a, b) => a.effective_start_ms! - b.effective_start_ms! || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((r) => r.id);
  return desc ? rows.reverse() : rows;
}

function query(dates: DateCond[], scope: SearchScope, desc: boolean, count: number, cursor?: Cursor) {
  const q: StoreSearch = { type: 'Observation', scope, dates, sort: { key: 'date', desc }, count, cursor };
  return searchResources(ds.store, q);
}

/** Every page forwards, then every page backwards from the last, as the FHIR layer's links do. */
function walk(dates: DateCond[], scope: SearchScope, desc: boolean, count: number) {
  const forwards: string[] = [];
  let page = query(dates, scope, desc, count);
  const cursorAt = (r: ResourceRow, dir: Cursor['dir']): Cursor => ({
    v: r.effective_start_ms!,
    id: r.id,
    dir,
  });
  for (;;) {
    forwards.push(...page.rows.map((r) => r.id));
    if (!page.hasNext || page.rows.length === 0) break;
    page = query(dates, scope, desc, count, cursorAt(page.rows.at(-1)!, 'next'));
  }
  const backwards: string[] = [];
  for (;;) {
    backwards.unshift(...page.rows.map((r) => r.id));
    if (!page.hasPrev || page.rows.length === 0) break;
    page = query(dates, scope, desc, count, cursorAt(page.rows[0], 'prev'));
  }
  return { forwards, backwards };
}

const t0 = ds.start.getTime() + DAY + 2 * HOUR + 30 * 60_000; // mid-chunk: periods straddle it
const conds: DateCond[] = [
  { prefix: 'eq', lo: t0, hi: t0 + 6 * HOUR },
  { prefix: 'ne', lo: t0, hi: t0 + 2 * DAY },
  { prefix: 'gt', lo: t0, hi: t0 + HOUR },
  { prefix: 'ge', lo: t0, hi: t0 + HOUR },
  { prefix: 'lt', lo: t0, hi: t0 + HOUR },
  { prefix: 'le', lo: t0, hi: t0 + HOUR },
  { prefix: 'sa', lo: t0, hi: t0 + HOUR },
  { prefix: 'eb', lo: t0, hi: t0 + HOUR },
  { prefix: 'ap', lo: t0, hi: t0 + HOUR, tolerance: 3 * HOUR },
  { prefix: 'ge', lo: twin.effective_start_ms!, hi: twin.effective_start_ms! + 1 },
];

test('date searches match the R4 oracle for every prefix, both directions, paged exactly once', () => {
  const scopes = [
    scopeOf(ds.patients.a, ['bloodGlucose', 'cgm']),
    // the historic period cuts into the data: only what ended at or after the cutoff
    scopeOf(ds.patients.a, ['bloodGlucose', 'cgm'], ds.start.getTime() + DAY + 5 * HOUR + 1),
  ];
  for (const scope of scopes) {
    for (const dates of [[], ...conds.map((c) => [c]), [conds[3], conds[4]]]) {
      for (const desc of [false, true]) {
        const label = `${JSON.stringify(dates)} desc=${desc} cutoff=${scope.groups[0].minEffectiveEndMs}`;
        const want = expected(dates, scope, desc);
        const whole = query(dates, scope, desc, 100_000);
        assert.deepEqual(
          whole.rows.map((r) => r.id),
          want,
          label,
        );
        if (want.length === 0) continue;
        const { forwards, backwards } = walk(dates, scope, desc, 7);
        assert.deepEqual(forwards, want, `forwards ${label}`);
        assert.deepEqual(backwards, want, `backwards ${label}`);
      }
    }
  }
  // the ties are there, in id order, on one page boundary or another
  assert.ok(expected([conds[9]], scopes[0], false).filter((id) => id.includes('tie')).length === 5);
});

test('a page continues with an index seek from the cursor (no filter over the rows before it)', () => {
  const plans: string[] = [];
  const prepare = ds.store.prepare.bind(ds.store);
  ds.store.prepare = ((sql: string) => {
    if (sql.includes('resources_fhir_observation_keyset')) {
      const n = (sql.match(/\?/g) ?? []).length;
      const plan = ds.store.db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...Array<number>(n).fill(0)) as Array<{
        detail: string;
      }>;
      plans.push(plan.map((p) => p.detail).join('; '));
    }
    return prepare(sql);
  }) as typeof ds.store.prepare;
  try {
    const scope = scopeOf(ds.patients.a, ['bloodGlucose', 'cgm']);
    const first = query([conds[3]], scope, false, 5);
    const last = first.rows.at(-1)!;
    plans.length = 0;
    query([conds[3]], scope, false, 5, { v: last.effective_start_ms!, id: last.id, dir: 'next' });
    query([conds[3]], scope, true, 5, { v: last.effective_start_ms!, id: last.id, dir: 'next' });
  } finally {
    ds.store.prepare = prepare;
  }
  assert.ok(plans.length > 0);
  for (const p of plans) {
    assert.match(
      p,
      /USING COVERING INDEX resources_fhir_observation_keyset \(.*\(effective_start_ms,id\)[<>]\(\?,\?\)/,
      p,
    );
    assert.doesNotMatch(p, /TEMP B-TREE/, p);
  }
});

test('a patient with very many devices: every reading of every device, in order, exactly once', () => {
  const patient = addPatient(ds.store, 'many-devices', ds.start.getTime()).id;
  const bg = all.filter((r) => r.device_key === ds.devices.bgA).slice(0, 3);
  const ids: string[] = [];
  for (let d = 0; d < 70; d++) {
    const deviceKey = `test:many:${String(d).padStart(2, '0')}`;
    assignDevice(ds.store, deviceKey, patient, ds.start.getTime());
    bg.forEach((r, i) => {
      const id = `many${String(d).padStart(2, '0')}x${i}`;
      // devices interleave in time, with ties across devices
      const at = r.effective_start_ms! + (d % 7) * 60_000;
      writeResourceRow(ds.store, {
        ...r,
        id,
        device_key: deviceKey,
        effective_start_ms: at,
        effective_end_ms: at,
        json: r.json.replace(r.id, id),
      });
      ids.push(id);
    });
  }
  const scope = scopeOf(patient, ['bloodGlucose', 'cgm']);
  const byTime = new Map(ids.map((id) => [id, 0]));
  for (const desc of [false, true]) {
    const whole = query([], scope, desc, 100_000).rows;
    assert.equal(whole.length, ids.length);
    for (const r of whole) byTime.set(r.id, r.effective_start_ms!);
    const want = [...ids].sort((a, b) => byTime.get(a)! - byTime.get(b)! || (a < b ? -1 : a > b ? 1 : 0));
    if (desc) want.reverse();
    assert.deepEqual(
      whole.map((r) => r.id),
      want,
    );
    const { forwards, backwards } = walk([], scope, desc, 9);
    assert.deepEqual(forwards, want);
    assert.deepEqual(backwards, want);
  }
});

test('value lists (_id, code, granted codes) select the same rows in the merged per-device arms as in a plain scan', () => {
  // Sorted by date, Observations are read through one UNION ALL arm per device, where the lists are written as
  // OR chains (an IN list there is rebuilt for every row); sorted by _lastUpdated, through the plain statement.
  const scopes = [
    scopeOf(ds.patients.a, ['bloodGlucose', 'cgm']),
    scopeOf(ds.patients.a, ['bloodGlucose']),
    scopeOf(ds.patients.a, ['cgm'], ds.start.getTime() + DAY),
  ];
  const codes = [...new Set(all.map((r) => r.code!))];
  const someIds = all.filter((_, i) => i % 3 === 0).map((r) => r.id);
  const filters: Array<Pick<StoreSearch, 'ids' | 'codes'>> = [
    {},
    { codes: [codes] },
    { codes: [[codes[0]]] },
    { codes: [[...codes, 'no-such-code']] },
    { ids: [someIds] },
    { ids: [someIds], codes: [[codes[1] ?? codes[0]]] },
    { ids: [[someIds[0]]] },
  ];
  let nonEmpty = 0;
  for (const scope of scopes) {
    for (const filter of filters) {
      const ids = (key: SortSpec['key']) =>
        searchResources(ds.store, {
          type: 'Observation',
          scope,
          ...filter,
          sort: { key, desc: false },
          count: 100_000,
        })
          .rows.map((r) => r.id)
          .sort();
      const label = JSON.stringify({ mivs: scope.groups.length, filter: Object.keys(filter) });
      const merged = ids('date');
      assert.deepEqual(merged, ids('lastUpdated'), label);
      if (merged.length > 0) nonEmpty++;
    }
  }
  assert.ok(nonEmpty >= scopes.length * 5, `only ${nonEmpty} non-empty comparisons`);
});
