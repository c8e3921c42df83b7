// One suite, two stores: the recorder's apply scenarios of inbox.test.ts (applied ranges and progress, versions
// in any order, ids of another gateway, version 1 assignments) plus whole hub histories delivered in any order
// with repeats, run through the consumer's port against SQLite and against a real PostgreSQL started here.
// The same delivery must leave both stores in the same state, and that state must be the hub's.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  batch,
  buildHistory,
  cutIntoBatches,
  hubSpec,
  PgFixture,
  row,
  sqliteSubject,
  type HubHistory,
  type Subject,
} from './fixtures/recorder-subjects.ts';

const pg = new PgFixture();
before(() => pg.start());
after(() => pg.stop());

const KINDS = ['sqlite', 'postgres'] as const;
const RUNS = 150;

async function subject(
  kind: Subject['kind'],
  t: { after: (fn: () => Promise<void>) => void },
): Promise<Subject> {
  const s = kind === 'sqlite' ? sqliteSubject() : await pg.subject();
  t.after(() => s.close());
  return s;
}

for (const kind of KINDS) {
  test(`${kind}: applied ranges merged, disjoint, equal to the union; progress stops at the first gap`, async (t) => {
    const s = await subject(kind, t);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 6 })), {
          maxLength: 25,
        }),
        fc.integer({ min: 1, max: 40 }),
        async (spans, floor) => {
          const stream = `s${n++}`;
          const seen = new Set<number>();
          for (const [from, len] of spans) {
            const first = await s.store.applyBatch(batch('gw', stream, from, from + len), 0);
            const covered = [...Array(len + 1).keys()].every((k) => seen.has(from + k));
            assert.equal(
              first.duplicate,
              covered,
              'a batch is a duplicate exactly when its range was applied',
            );
            for (let k = from; k <= from + len; k++) seen.add(k);
            assert.equal(
              (await s.store.applyBatch(batch('gw', stream, from, from + len), 0)).duplicate,
              true,
            );
          }
          const ranges = await s.ranges('gw', stream);
          const covered = new Set<number>();
          ranges.forEach(([a, b], i) => {
            if (i > 0) assert.ok(a > ranges[i - 1][1] + 1, 'disjoint and not touching');
            for (let k = a; k <= b; k++) covered.add(k);
          });
          assert.deepEqual(
            [...covered].sort((x, y) => x - y),
            [...seen].sort((x, y) => x - y),
          );
          await s.store.applyBatch(batch('gw', stream, 1000, 1000, [], [], floor), 0);
          let through = floor - 1;
          while (seen.has(through + 1)) through++;
          assert.equal((await s.store.progress('gw', stream)).through, through);
          assert.equal((await s.store.progress('gw', stream)).max, 1000);
        },
      ),
      { numRuns: RUNS },
    );
  });

  test(`${kind}: versions in any order, repeated, in batches of any size: the newest wins, Device history stays`, async (t) => {
    const s = await subject(kind, t);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('Observation', 'Device'),
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 5 }),
        async (type, versions, perBatch) => {
          const id = `r${n++}`;
          let seq = 1;
          for (let i = 0; i < versions.length; i += perBatch) {
            const rows = versions.slice(i, i + perBatch).map((v) => row(type, id, v));
            await s.store.applyBatch(batch('gw', id, seq, seq + rows.length - 1, rows), 0);
            seq += rows.length;
          }
          const max = Math.max(...versions);
          const got = await s.resource(type, id);
          assert.deepEqual(got, row(type, id, max), 'the newest version, every column as sent');
          if (type === 'Device') {
            for (const v of new Set(versions)) assert.ok(await s.version(type, id, v), `v${v} readable`);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  test(`${kind}: a resource id owned by another gateway is never overwritten, and the entry is parked`, async (t) => {
    const s = await subject(kind, t);
    const a = await s.store.applyBatch(batch('hub-a', 's', 1, 1, [row('Device', 'd', 1, 'hub-a')]), 0);
    assert.deepEqual([a.written, a.conflicts.length], [1, 0]);
    const b = await s.store.applyBatch(batch('hub-b', 's', 1, 1, [row('Device', 'd', 9, 'hub-b')]), 0);
    assert.equal(b.written, 0);
    assert.deepEqual(
      b.conflicts.map((c) => c.reason),
      ['Device/d belongs to another gateway'],
    );
    assert.equal((await s.resource('Device', 'd'))!.device_key, 'hub-a/ble:1');
    assert.equal(await s.parked(), 1);
    await s.store.park('hddt/v1/x/batch', 'unexpected topic', Buffer.from([1, 2]), 0);
    assert.equal(await s.parked(), 2);
  });

  test(`${kind}: version 1 assignments: a later sequence wins, an older one arriving late is ignored`, async (t) => {
    const s = await subject(kind, t);
    const v1 = (seq: number, patient: string | null, at: number) =>
      batch('gw', 's', seq, seq, [], [{ kind: 'v1', device: 'gw/ble:1', patient, seq, at }]);
    const open = async () =>
      (await s.windows('gw/')).filter((w) => w.until_ms === null).map((w) => w.patient_id);
    await s.store.applyBatch(v1(7, 'gw/p2', 2000), 0);
    await s.store.applyBatch(v1(3, 'gw/p1', 1000), 0);
    assert.deepEqual(await open(), ['gw/p2']);
    await s.store.applyBatch(v1(8, null, 3000), 0);
    assert.deepEqual(await open(), []);
    assert.deepEqual(await s.windows('gw/'), [
      { device_key: 'gw/ble:1', patient_id: 'gw/p2', from_ms: 0, until_ms: 3000 },
    ]);
  });
}

/** Everything a test compares between stores and with the hub. */
async function state(s: Subject, h: HubHistory, gw: string) {
  const resources = [];
  for (const key of [...h.newest.keys()].sort()) {
    const r = h.newest.get(key)!;
    resources.push(await s.resource(r.type, r.id));
  }
  const history = [];
  for (const e of h.entries) {
    if (e.resource?.type === 'Device')
      history.push(Boolean(await s.version('Device', e.resource.id, e.resource.version)));
  }
  return { resources, history, windows: await s.windows(`${gw}/`), ranges: await s.ranges(gw, 'st') };
}

test('both stores: a hub history in any batches, delivered in any order with repeats, ends as the hub has it', async (t) => {
  const pgSubject = await subject('postgres', t);
  let n = 0;
  await fc.assert(
    fc.asyncProperty(
      hubSpec,
      fc.array(fc.nat(), { maxLength: 8 }),
      fc.array(fc.nat(), { minLength: 1, maxLength: 40 }),
      async (spec, cuts, picks) => {
        const gw = `gw${n++}`;
        const h = buildHistory(spec, gw);
        const batches = cutIntoBatches(gw, 'st', h, cuts);
        // Each batch once in a shuffled order, and repeats of random ones in between.
        const rank = (i: number) => picks[i % picks.length] % 7;
        const order = [...batches.keys()].sort((a, b) => rank(a) - rank(b));
        const delivery = order.flatMap((i, k) => [
          batches[i],
          batches[picks[k % picks.length] % batches.length],
        ]);
        const sqlite = sqliteSubject();
        try {
          for (const b of delivery) {
            const x = await sqlite.store.applyBatch(b, 0);
            assert.deepEqual(
              await pgSubject.store.applyBatch(b, 0),
              x,
              'the same outcome for the same batch',
            );
          }
          const want = await state(sqlite, h, gw);
          assert.deepEqual(await state(pgSubject, h, gw), want, 'PostgreSQL ends as SQLite');
          const newest = [...h.newest.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, r]) => r);
          assert.deepEqual(want.resources, newest, 'the newest version of every resource');
          assert.ok(want.history.every(Boolean), 'every Device version readable');
          assert.deepEqual(want.windows, h.periods, "the hub's periods");
          assert.deepEqual(want.ranges, [[1, h.entries.length]]);
        } finally {
          await sqlite.close();
        }
      },
    ),
    { numRuns: 40, includeErrorInReport: true },
  );
});
