// The PostgreSQL store on its own: migrations (several processes at once, a newer schema refused, an unreachable
// server named without its password), and several consumers applying one hub's batches at the same moment,
// each over its own connection pool as separate processes would, batches of two streams of the hub: the result is the hub's, as if applied in
// order, and nothing is written twice (a trigger counts every write of a resource version).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import pg from 'pg';
import { openPgStore, type PgStore } from '../../../../gateway/store/postgres/pg-store.ts';
import { pgMigrations } from '../../../../gateway/store/postgres/migrations/index.ts';
import type { GatewayError } from '../../../../lib/errors.ts';
import { WRITE_LOG } from '../../sync/fixtures/pg-recorder-env.ts';
import {
  buildHistory,
  cutIntoBatches,
  hubSpec,
  PgFixture,
  pgSubjectOf,
} from '../../sync/fixtures/recorder-subjects.ts';

const fixture = new PgFixture();
before(() => fixture.start());
after(() => fixture.stop());

test('migrations: three processes starting at once leave one schema; the version is recorded once', async () => {
  const url = await fixture.database();
  const stores = await Promise.all([1, 2, 3].map(() => openPgStore({ url })));
  try {
    assert.deepEqual(
      stores.map((s) => s.schemaVersion),
      [1, 1, 1],
    );
    const rows = await stores[0].pool.query('SELECT version, name FROM schema_migrations');
    assert.deepEqual(rows.rows, [{ version: 1, name: 'recorder-inbox' }]);
    const n = await stores[0].pool.query<{ n: number }>(
      `SELECT count(*)::bigint AS n FROM pg_tables WHERE schemaname = 'public'`,
    );
    assert.equal(typeof n.rows[0].n, 'number', 'BIGINT comes back as a number');
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
});

test('a database migrated by a newer build is refused, naming both versions', async () => {
  const url = await fixture.database();
  const newer = [...pgMigrations, { version: 2, name: 'future', sql: 'CREATE TABLE future (x int)' }];
  await (await openPgStore({ url, migrations: newer })).close();
  await assert.rejects(
    openPgStore({ url }),
    (err: GatewayError) =>
      err.code === 'ERR_STORE_SCHEMA' && /version 2 is newer than .* \(1\)/.test(err.message),
  );
});

test('an unreachable server: ERR_STORE_UNAVAILABLE naming the server, never the password', async () => {
  const port = new URL(await fixture.database()).port;
  const url = `postgres://hddt:s3cret-pw@127.0.0.1:${port}/no_such_db`;
  await assert.rejects(openPgStore({ url }), (err: GatewayError) => {
    assert.equal(err.code, 'ERR_STORE_UNAVAILABLE');
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}/no_such_db`));
    assert.match(err.message, /no_such_db" does not exist/);
    assert.doesNotMatch(err.message, /s3cret-pw/);
    return true;
  });
});

test('four consumers apply one hub history at once, in any order with repeats: the hub state, each write once', async () => {
  const url = await fixture.database();
  const consumers: PgStore[] = await Promise.all([1, 2, 3, 4].map(() => openPgStore({ url, poolSize: 2 })));
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(WRITE_LOG);
  const subject = pgSubjectOf(consumers[0]);
  let n = 0;
  try {
    await fc.assert(
      fc.asyncProperty(
        hubSpec,
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.array(fc.nat(), { minLength: 1 }),
        async (spec, cuts, picks) => {
          const gw = `gw${n++}`;
          const h = buildHistory(spec, gw);
          // Two streams of one hub (a hub whose database was replaced): only the gateway's lock orders them.
          const batches = cutIntoBatches(gw, 'st', h, cuts).map((b, i) => ({ ...b, stream: `st${i % 2}` }));
          // Every batch to every consumer, all at once, in an order of the picks.
          const rank = (i: number) => picks[i % picks.length] % 5;
          const order = [...batches.keys()].sort((a, b) => rank(a) - rank(b));
          const jobs = order.flatMap((i) => consumers.map((c) => c.inbox.applyBatch(batches[i], 0)));
          const outcomes = await Promise.all(jobs);
          assert.equal(
            outcomes.filter((o) => !o.duplicate).length,
            batches.length,
            'each batch applied once',
          );
          for (const r of h.newest.values()) assert.deepEqual(await subject.resource(r.type, r.id), r);
          assert.deepEqual(await subject.windows(`${gw}/`), h.periods, "the hub's periods");
          const ranges = [...(await subject.ranges(gw, 'st0')), ...(await subject.ranges(gw, 'st1'))];
          const covered = ranges.reduce((sum, [a, b]) => sum + b - a + 1, 0);
          assert.equal(covered, h.entries.length, 'every sequence applied, none twice');
          for (const e of h.entries) {
            if (e.resource?.type !== 'Device') continue;
            assert.ok(
              await subject.version('Device', e.resource.id, e.resource.version),
              'every Device version kept',
            );
          }
          const twice = await admin.query(
            `SELECT type, id, version, count(*) AS n FROM write_log WHERE starts_with(id, $1)
           GROUP BY 1, 2, 3 HAVING count(*) > 1`,
            [`${gw}-`],
          );
          assert.deepEqual(twice.rows, [], 'no resource version written twice');
        },
      ),
      { numRuns: 40, includeErrorInReport: true },
    );
  } finally {
    await admin.end();
    await Promise.all(consumers.map((c) => c.close()));
  }
});
