// A recorder fleet in miniature, all real processes: a hub publishing to Mosquitto, two consumer processes in
// one MQTT 5 shared-subscription group writing one PostgreSQL. Mid-stream one consumer is SIGKILLed and
// PostgreSQL is restarted (a crash as PostgreSQL sees one, or a clean restart); the killed consumer comes back
// with its session. Afterwards the recorder must hold exactly the hub's resources and periods (nothing lost),
// a trigger must show no resource version written twice (nothing applied twice), and both consumers took part.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type pg from 'pg';
import { Broker } from '../../../bench/rigs/broker.ts';
import { outboxStats } from '../../../gateway/store/outbox.ts';
import { openPool } from '../../../gateway/store/postgres/connection.ts';
import { openPgStore } from '../../../gateway/store/postgres/pg-store.ts';
import { listParked } from '../../../gateway/store/postgres/reads.ts';
import type { Store } from '../../../gateway/store/store.ts';
import { Publisher } from '../../../gateway/sync/publisher.ts';
import { tempDir } from '../../helpers/tmp.ts';
import {
  Child,
  consumerOptions,
  makePlan,
  openGatewayStore,
  publisherOptions,
  waitFor,
  writePhase,
} from './fixtures/sync-env.ts';
import { PgFixture } from './fixtures/recorder-subjects.ts';
import { lastStats, pgDifferences, WRITE_LOG } from './fixtures/pg-recorder-env.ts';

const fixture = new PgFixture();
before(() => fixture.start());
after(() => fixture.stop());

/** Polls an async condition (the recorder's state lives in another process's server). */
async function until(what: string, cond: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function appliedSeqs(admin: pg.Pool): Promise<number> {
  const r = await admin.query<{ n: number | null }>(
    'SELECT sum(seq_to - seq_from + 1)::bigint AS n FROM sync_ranges',
  );
  return r.rows[0].n ?? 0;
}

test('two consumers in one shared-subscription group: kill -9 one mid-stream, restart PostgreSQL: nothing lost, nothing twice', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 2 ** 30 }),
      fc.constantFrom<'immediate' | 'fast'>('immediate', 'fast'),
      fc.integer({ min: 2, max: 8 }),
      async (seed, pgStop, batchSize) => {
        const cleanups: Array<() => unknown> = [];
        const t = tempDir('hddt-pgsync-');
        cleanups.push(t.cleanup);
        try {
          const url = await fixture.database();
          const setup = await openPgStore({ url });
          await setup.pool.query(WRITE_LOG);
          await setup.close();
          // A pool as the store makes them (BIGINT as numbers), for reading the recorder's state.
          const admin = openPool({ url, poolSize: 1 });
          cleanups.unshift(() => admin.end());

          const broker = new Broker({ dir: `${t.dir}/broker` });
          await broker.start();
          cleanups.unshift(() => broker.stop('SIGKILL'));
          const consumer = (id: string) =>
            new Child('pg-consumer-child.ts', {
              url,
              options: consumerOptions(broker.url, {
                connection: { ...consumerOptions(broker.url).connection, clientId: id },
              }),
            });
          const a = consumer('recorder-a');
          const b = consumer('recorder-b');
          for (const c of [a, b]) {
            cleanups.unshift(() => c.stop('SIGKILL'));
            c.start();
          }
          await waitFor('both consumers subscribed', () =>
            [a, b].every((c) => lastStats(c.output)?.subscribed === true),
          );

          const hub: Store = openGatewayStore(`${t.dir}/hub.sqlite`);
          cleanups.unshift(() => hub.close());
          const plan = makePlan(seed, 2, 2);
          writePhase(hub, plan, 0);
          const total = outboxStats(hub).entries;
          const publisher = new Publisher(
            hub,
            publisherOptions('hub-a', broker.url, { batchSize, maxMessagesPerSecond: 150 }),
          );
          cleanups.unshift(() => publisher.stop());
          publisher.start();

          // Mid-stream: a consumer dies without a word, then the database restarts under the survivor.
          await until(
            // Both consumers share the stream: each has applied batches before one is killed.
            'a third applied, by both consumers',
            async () =>
              [a, b].every((c) => (lastStats(c.output)?.batches ?? 0) > 0) &&
              (await appliedSeqs(admin)) >= total / 3,
          );
          await a.stop('SIGKILL');
          await fixture.server.stop(pgStop);
          writePhase(hub, plan, 1);
          await new Promise((r) => setTimeout(r, 300));
          await fixture.server.start();
          a.output = '';
          a.start();

          try {
            await until(
              'the recorder to match the hub',
              async () => (await pgDifferences('hub-a', hub, admin)).length === 0,
            );
          } catch (err) {
            const diff = await pgDifferences('hub-a', hub, admin);
            const ranges = (await admin.query('SELECT * FROM sync_ranges ORDER BY seq_from')).rows;
            const tail = (o: string) =>
              o
                .split('\n')
                .filter((l) => !l.startsWith('{"connected"'))
                .slice(-30)
                .join('\n') + JSON.stringify(lastStats(o));
            throw new Error(
              `${(err as Error).message}: ${diff.slice(0, 5).join('; ')} (${diff.length}); hub outbox ` +
                `${JSON.stringify(outboxStats(hub))}; ranges ${JSON.stringify(ranges)}; a: ${tail(a.output)}; b: ${tail(b.output)}`,
              { cause: err },
            );
          }
          await waitFor(
            'the hub outbox to empty (end-to-end acks)',
            () => outboxStats(hub).entries === 0,
            60_000,
          );
          assert.deepEqual(await pgDifferences('hub-a', hub, admin), []);
          const twice = await admin.query(
            'SELECT type, id, version, count(*)::int AS n FROM write_log GROUP BY 1, 2, 3 HAVING count(*) > 1',
          );
          assert.deepEqual(twice.rows, [], 'no resource version written twice');
          assert.deepEqual(await listParked(admin), []);
        } finally {
          for (const c of cleanups) await c();
          if (!fixture.server.running) await fixture.server.start();
        }
      },
    ),
    { numRuns: 3, endOnFailure: true, includeErrorInReport: true },
  );
});
