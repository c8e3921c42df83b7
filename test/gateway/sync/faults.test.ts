// End-to-end sync against real Mosquitto processes: broker down at start, broker killed mid-drain, publisher and
// consumer SIGKILLed mid-drain, two hubs into one recorder. After recovery the recorder must hold exactly the
// hub's resources (ids, versions, JSON) and assignments. Each scenario runs several randomized cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fc from 'fast-check';
import mqtt from 'mqtt';
import { encode as cborEncode } from 'cbor-x';
import { outboxStats } from '../../../gateway/store/outbox.ts';
import { openStore, type Store } from '../../../gateway/store/store.ts';
import { listParked } from '../../../gateway/store/sync-inbox.ts';
import { Consumer } from '../../../gateway/sync/consumer.ts';
import { Publisher } from '../../../gateway/sync/publisher.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { Broker } from '../../../bench/rigs/broker.ts';
import {
  Child,
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
    { numRuns: 4, endOnFailure: true, includeErrorInReport: true },
  );
});

test('broker killed (SIGTERM or SIGKILL) and restarted in the middle of a drain', async () => {
  await fc.assert(
    fc.asyncProperty(
      seed,
      fc.integer({ min: 1, max: 6 }),
      fc.constantFrom<'SIGTERM' | 'SIGKILL'>('SIGTERM', 'SIGKILL'),
      fc.integer({ min: 10, max: 80 }),
      fc.integer({ min: 30, max: 400 }),
      async (s, batchSize, signal, killPercent, downMs) => {
        const c = new Case();
        try {
          const broker = c.broker();
          await broker.start();
          const recorder = c.store('recorder', false);
          const consumer = c.add(new Consumer(recorder, consumerOptions(broker.url)), (x) => x.stop());
          consumer.start();
          await waitFor('consumer', () => consumer.stats().connected);
          const hub = c.store('hub', true);
          const plan = makePlan(s);
          writePhase(hub, plan, 0);
          const publisher = c.add(
            new Publisher(
              hub,
              publisherOptions('hub-a', broker.url, { batchSize, maxMessagesPerSecond: 80 }),
            ),
            (p) => p.stop(),
          );
          const killAfter = Math.ceil((outboxStats(hub).entries * killPercent) / 100 / batchSize);
          publisher.start();
          await waitFor('drain to start', () => publisher.metrics().messagesSent >= killAfter);
          writePhase(hub, plan, 1);
          await broker.stop(signal);
          await sleep(downMs);
          await broker.start();
          await converged('hub-a', hub, recorder);
        } finally {
          await c.close();
        }
      },
    ),
    { numRuns: 6, endOnFailure: true, includeErrorInReport: true },
  );
});

test('publisher process SIGKILLed in the middle of a drain and restarted', async () => {
  await fc.assert(
    fc.asyncProperty(
      seed,
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 10, max: 70 }),
      async (s, batchSize, killPercent) => {
        const c = new Case();
        try {
          const broker = c.broker();
          await broker.start();
          const recorder = c.store('recorder', false);
          const consumer = c.add(new Consumer(recorder, consumerOptions(broker.url)), (x) => x.stop());
          consumer.start();
          await waitFor('consumer', () => consumer.stats().connected);
          const hub = c.store('hub', true);
          const plan = makePlan(s);
          writePhase(hub, plan, 0);
          const total = outboxStats(hub).entries;
          // A drain of about a second: long enough to kill it in the middle, short enough for the suite.
          const maxMessagesPerSecond = Math.max(10, Math.ceil(total / batchSize));
          const arg = {
            store: c.file('hub.sqlite'),
            options: publisherOptions('hub-a', broker.url, { batchSize, maxMessagesPerSecond }),
          };
          const first = c.add(new Child('publisher-child.ts', arg), (p) => p.stop('SIGKILL'));
          first.start();
          await waitFor('drain to start', () => outboxStats(hub).unsent <= total * (1 - killPercent / 100));
          await first.stop('SIGKILL');
          const left = outboxStats(hub).unsent;
          assert.ok(left > 0, 'killed before the drain finished');
          writePhase(hub, plan, 1); // the hub keeps measuring while its publisher is down
          const second = c.add(new Child('publisher-child.ts', arg), (p) => p.stop('SIGTERM'));
          second.start();
          await converged('hub-a', hub, recorder);
        } finally {
          await c.close();
        }
      },
    ),
    { numRuns: 3, endOnFailure: true, includeErrorInReport: true },
  );
});

test('consumer process SIGKILLed mid-stream and restarted: nothing acknowledged before it was committed', async () => {
  await fc.assert(
    fc.asyncProperty(
      seed,
      fc.integer({ min: 1, max: 10 }),
      fc.integer({ min: 10, max: 80 }),
      fc.integer({ min: 0, max: 300 }),
      async (s, batchSize, killPercent, downMs) => {
        const c = new Case();
        try {
          const broker = c.broker();
          await broker.start();
          // Created (and migrated) here first, so the child never races the test on the schema.
          const recorder = c.store('recorder', false);
          const arg = { store: c.file('recorder.sqlite'), options: consumerOptions(broker.url) };
          const first = c.add(new Child('consumer-child.ts', arg), (p) => p.stop('SIGKILL'));
          first.start();
          await waitFor('consumer session', () => broker.log().includes('as recorder-1'));
          await sleep(100);
          const hub = c.store('hub', true);
          const plan = makePlan(s);
          writePhase(hub, plan, 0);
          const rate = Math.max(10, Math.ceil(outboxStats(hub).entries / batchSize));
          const publisher = new Publisher(
            hub,
            publisherOptions('hub-a', broker.url, { batchSize, maxMessagesPerSecond: rate }),
          );
          const killAt = Math.ceil((outboxStats(hub).entries * killPercent) / 100 / 2);
          c.add(publisher, (p) => p.stop()).start();
          const count = () => recorder.prepare('SELECT COUNT(*) AS n FROM resources').pluck().get() as number;
          await waitFor('some entries applied', () => count() >= killAt);
          await first.stop('SIGKILL');
          writePhase(hub, plan, 1);
          await sleep(downMs);
          const second = c.add(new Child('consumer-child.ts', arg), (p) => p.stop('SIGTERM'));
          second.start();
          await converged('hub-a', hub, recorder);
        } finally {
          await c.close();
        }
      },
    ),
    { numRuns: 3, endOnFailure: true, includeErrorInReport: true },
  );
});

test('two hubs publish to one recorder: each hub’s data arrives complete, namespaced by gateway', async () => {
  await fc.assert(
    fc.asyncProperty(
      seed,
      seed,
      fc.constantFrom<'cbor' | 'json'>('cbor', 'json'),
      fc.boolean(),
      async (s1, s2, format, restartBroker) => {
        const c = new Case();
        try {
          const broker = c.broker();
          await broker.start();
          const recorder = c.store('recorder', false);
          const consumer = c.add(new Consumer(recorder, consumerOptions(broker.url)), (x) => x.stop());
          consumer.start();
          await waitFor('consumer', () => consumer.stats().connected);
          const hubs = [
            { gw: 'hub-a', store: c.store('hub-a', true), plan: makePlan(s1) },
            { gw: 'hub-b', store: c.store('hub-b', true), plan: makePlan(s2) },
          ];
          for (const [i, h] of hubs.entries()) {
            writePhase(h.store, h.plan, 0);
            const opts = publisherOptions(h.gw, broker.url, {
              format: i === 0 ? format : 'cbor',
              batchSize: 7,
              maxMessagesPerSecond: 100,
            });
            c.add(new Publisher(h.store, opts), (p) => p.stop()).start();
          }
          await sleep(150);
          if (restartBroker) {
            await broker.stop('SIGTERM');
            await broker.start();
          }
          for (const h of hubs) writePhase(h.store, h.plan, 1);
          for (const h of hubs) await converged(h.gw, h.store, recorder);
          const total = recorder.prepare('SELECT COUNT(*) FROM resources').pluck().get() as number;
          const hubTotal = hubs.reduce(
            (n, h) => n + (h.store.prepare('SELECT COUNT(*) FROM resources').pluck().get() as number),
            0,
          );
          assert.equal(total, hubTotal);
        } finally {
          await c.close();
        }
      },
    ),
    { numRuns: 3, endOnFailure: true, includeErrorInReport: true },
  );
});

test('malformed payloads from a stranger are parked with a reason and do not stop the consumer', async () => {
  await fc.assert(
    fc.asyncProperty(
      seed,
      fc.array(fc.uint8Array({ minLength: 1, maxLength: 200 }), { minLength: 1, maxLength: 5 }),
      async (s, garbage) => {
        const c = new Case();
        try {
          const broker = c.broker();
          await broker.start();
          const recorder = c.store('recorder', false);
          const consumer = c.add(new Consumer(recorder, consumerOptions(broker.url)), (x) => x.stop());
          consumer.start();
          await waitFor('consumer', () => consumer.stats().connected);
          const hub = c.store('hub', true);
          const plan = makePlan(s);
          writePhase(hub, plan, 0);
          const publisher = c.add(
            new Publisher(hub, publisherOptions('hub-a', broker.url, { maxMessagesPerSecond: 50 })),
            (p) => p.stop(),
          );
          publisher.start();
          const stranger = c.add(await mqtt.connectAsync(broker.url, { protocolVersion: 5 }), (x) =>
            x.endAsync(),
          );
          const bad: Array<[string, Buffer]> = [
            ...garbage.map((g): [string, Buffer] => ['hddt/v1/evil/batch', Buffer.from(g)]),
            ['hddt/v1/evil/batch', Buffer.from('{"v":1,"gw":"evil"}')],
            ['hddt/v1/evil/batch', Buffer.from('not json at all {')],
            // a well-formed batch published under another gateway's topic
            ['hddt/v1/evil/batch', Buffer.from(JSON.stringify({ ...sampleBatch, gw: 'hub-a' }))],
            // CBOR of the right version but an entry claiming a type we never sync
            [
              'hddt/v1/hub-z/batch',
              cborEncode({ ...sampleBatch, gw: 'hub-z', entries: [{ seq: 1, kind: 'x' }] }),
            ],
          ];
          for (const [topic, payload] of bad) await stranger.publishAsync(topic, payload, { qos: 1 });
          await stranger.publishAsync('hddt/v1/evil/status', Buffer.from([0xff, 0x00]), { qos: 1 });
          writePhase(hub, plan, 1);
          await converged('hub-a', hub, recorder);
          await waitFor('all parked', () => listParked(recorder).length === bad.length);
          const parked = listParked(recorder);
          assert.ok(parked.every((p) => p.topic.startsWith('hddt/v1/') && p.reason.length > 0));
          assert.deepEqual(
            parked.map((p) => p.payload.toString('hex')),
            bad.map(([, b]) => b.toString('hex')),
          );
          assert.equal(consumer.stats().connected, true);
        } finally {
          await c.close();
        }
      },
    ),
    { numRuns: 2, endOnFailure: true, includeErrorInReport: true },
  );
});

const sampleBatch = { v: 1, gw: 'x', stream: 'abcd', from: 1, to: 1, floor: 1, sentAt: 0, entries: [] };
