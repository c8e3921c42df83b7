// End-to-end sync against real Mosquitto processes: broker down at start, broker killed mid-drain, publisher and
// consumer SIGKILLed mid-drain, two hubs into one recorder. After recovery the recorder must hold exactly the
// hub's resources (ids, versions, JSON) and assignments. Each scenario runs several randomized cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fc from 'fast-check';
import { outboxStats } from '../../../gateway/store/outbox.ts';
import { openStore, type Store } from '../../../gateway/store/store.ts';
import { Consumer } from '../../../gateway/sync/consumer.ts';
import { Publisher } from '../../../gateway/sync/publisher.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { Broker } from './fixtures/broker.ts';
import {
  consumerOptions,
  differences,
  makePlan,
  openGatewayStore,
  publisherOptions,
  sleep,
  waitFor,
  writePhase,
} from './fixtures/sync-env.ts';

/** Everything one case starts, stopped in reverse order whatever happens. */
class Case {
  private readonly cleanups: Array<() => unknown> = [];
  readonly dir: string;
  constructor() {
    const t = tempDir('hddt-sync-');
    this.dir = t.dir;
    this.cleanups.push(t.cleanup);
  }
  add<T>(thing: T, cleanup: (t: T) => unknown): T {
    this.cleanups.push(() => cleanup(thing));
    return thing;
  }
  file(name: string): string {
    return path.join(this.dir, name);
  }
  broker(): Broker {
    return this.add(new Broker({ dir: this.file('broker') }), (b) => b.stop('SIGKILL'));
  }
  store(name: string, hub: boolean): Store {
    const file = this.file(`${name}.sqlite`);
    return this.add(hub ? openGatewayStore(file) : openStore({ path: file }), (s) => s.close());
  }
  async close(): Promise<void> {
    for (const c of this.cleanups.reverse()) await c();
  }
}

async function converged(gw: string, hub: Store, recorder: Store, timeoutMs = 30_000): Promise<void> {
  try {
    await waitFor(`recorder to match ${gw}`, () => differences(gw, hub, recorder).length === 0, timeoutMs);
  } catch (err) {
    const diff = differences(gw, hub, recorder);
    throw new Error(
      `${(err as Error).message}: ${diff.slice(0, 5).join('; ')} (${diff.length} differences)`,
      {
        cause: err,
      },
    );
  }
  // End-to-end acks come back and the hub's outbox empties.
  await waitFor(`${gw} outbox to empty`, () => outboxStats(hub).entries === 0, timeoutMs);
  assert.deepEqual(differences(gw, hub, recorder), []);
}

const seed = fc.integer({ min: 1, max: 2 ** 30 });

test('broker down when the hub starts: the drain begins once the broker is up', async () => {
  await fc.assert(
    fc.asyncProperty(
      seed,
      fc.integer({ min: 1, max: 25 }),
      fc.constantFrom<'cbor' | 'json'>('cbor', 'json'),
      fc.integer({ min: 50, max: 400 }),
      async (s, batchSize, format, downMs) => {
        const c = new Case();
        try {
          const broker = c.broker();
          await broker.start();
          const recorder = c.store('recorder', false);
          // The recorder's persistent session exists before the hub publishes (see docs/mqtt.md).
          const consumer = c.add(new Consumer(recorder, consumerOptions(broker.url)), (x) => x.stop());
          consumer.start();
          await waitFor('consumer', () => consumer.stats().connected);
          await broker.stop('SIGTERM');

          const hub = c.store('hub', true);
          const plan = makePlan(s);
          writePhase(hub, plan, 0);
          const publisher = c.add(
            new Publisher(hub, publisherOptions('hub-a', broker.url, { batchSize, format })),
            (p) => p.stop(),
          );
          publisher.start();
          writePhase(hub, plan, 1);
          await sleep(downMs);
          assert.equal(publisher.isConnected, false);
          assert.ok(outboxStats(hub).unsent > 0);
          await broker.start();
          await converged('hub-a', hub, recorder);
          assert.equal(recorder.prepare('SELECT COUNT(*) AS n FROM sync_parked').pluck().get(), 0);
        } finally {
          await c.close();
        }
      },
    ),
    { numRuns: 4 },
  );
});
