// The outbox on the hub: written in the change's transaction, monotonic sequence, pseudonymous assignments,
// and the cap policy's alarm (keep) or drop. No broker needed: the publisher points at a closed port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import path from 'node:path';
import { pino } from 'pino';
import { ingest } from '../../../gateway/ingest/pipeline.ts';
import {
  deleteSentThrough,
  deleteThrough,
  hasUnsent,
  lastSeq,
  loadSentMark,
  markSent,
  nextUnsent,
  outboxFloor,
  outboxStats,
  resendAfter,
  sentMark,
} from '../../../gateway/store/outbox.ts';
import { addPatient, assignDevice, unassignDevice } from '../../../gateway/store/patients.ts';
import { listResources, putResource } from '../../../gateway/store/resources.ts';
import type { Store } from '../../../gateway/store/store.ts';
import { patientHandle } from '../../../gateway/sync/outbox-writer.ts';
import { queueForSync } from '../../../gateway/ingest/queue.ts';
import { nextBatch } from '../../../gateway/sync/next-batch.ts';
import { decodeBatch, encodeBatch, resourceJson } from '../../../gateway/sync/payload.ts';
import { Publisher } from '../../../gateway/sync/publisher.ts';
import { bgSeries, cgmSeries } from '../../../firmware-bridge/synthetic-readings.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { freePort } from '../../../bench/rigs/broker.ts';
import { openGatewayStore, publisherOptions, T0 } from './fixtures/sync-env.ts';

function hub(t: { after: (fn: () => void) => void }): Store {
  const { dir, cleanup } = tempDir('hddt-outbox-');
  const store = openGatewayStore(path.join(dir, 'hub.sqlite'));
  t.after(() => {
    store.close();
    cleanup();
  });
  return store;
}

const now = new Date('2025-10-28T00:00:00Z');

test('resource changes are queued in commit order; the latest entry of each resource is its stored version', (t) => {
  const store = hub(t);
  ingest(store, cgmSeries({ deviceKey: 'ble:c1', sessionStart: T0, count: 30, intervalMinutes: 5 }), { now });
  ingest(store, bgSeries({ deviceKey: 'ble:b1', start: T0, days: 1 }), { now });
  // backfill into the first chunk: a new chunk version, a new entry
  ingest(
    store,
    cgmSeries({ deviceKey: 'ble:c1', sessionStart: T0, count: 5, firstIndex: 30, intervalMinutes: 5 }),
    {
      now,
    },
  );
  const rows = nextUnsent(store, 0, 10_000);
  assert.ok(rows.length > 0);
  rows.forEach((r, i) => i > 0 && assert.ok(r.seq > rows[i - 1].seq));
  // the latest entry of each resource is its current version, byte for byte
  const latest = new Map(rows.map((r) => [`${r.res_type}/${r.res_id}`, r]));
  for (const res of listResources(store)) {
    const e = latest.get(`${res.type}/${res.id}`);
    assert.ok(e, `${res.type}/${res.id} has an entry`);
    assert.equal(e.version, res.version);
    assert.equal(e.json, res.json);
    assert.equal(e.code, res.code);
    assert.equal(e.effective_start_ms, res.effective_start_ms);
  }
  assert.equal(latest.size, listResources(store).length);
});

test('a rolled-back change leaves no outbox entry (and an entry never exists without its change)', (t) => {
  const store = hub(t);
  assert.throws(() =>
    store.transaction(() => {
      ingest(store, bgSeries({ deviceKey: 'ble:b1', start: T0, days: 1 }), { now });
      assert.ok(outboxStats(store).entries > 0);
      throw new Error('power cut');
    }),
  );
  assert.equal(outboxStats(store).entries, 0);
  assert.equal(listResources(store).length, 0);
});

test('assignments travel as a pseudonymous handle with their period; sequence numbers are never reused after pruning', (t) => {
  const store = hub(t);
  const p = addPatient(store, 'alice@example.org', now.getTime());
  assignDevice(store, 'ble:b1', p.id, now.getTime());
  unassignDevice(store, 'ble:b1', now.getTime() + 1);
  const [a, u] = nextUnsent(store, 0, 10);
  assert.equal(a.kind, 'assignment');
  assert.equal(a.patient, patientHandle(store, p.id));
  assert.match(a.patient!, /^[0-9a-f]{32}$/);
  assert.ok(!JSON.stringify(a).includes(p.id) && !JSON.stringify(a).includes('alice'));
  // the first period of a device covers its history; the unassignment closes that same period
  assert.deepEqual([a.from_ms, a.until_ms], [0, null]);
  assert.equal(u.patient, a.patient);
  assert.deepEqual([u.from_ms, u.until_ms], [0, now.getTime() + 1]);
  deleteThrough(store, u.seq);
  assignDevice(store, 'ble:b1', p.id, now.getTime() + 2);
  assert.equal(nextUnsent(store, 0, 10)[0].seq, u.seq + 1);
});

test('the sent mark: forward only by markSent, back by resendAfter; unsent is what lies after it', (t) => {
  const store = hub(t);
  ingest(store, bgSeries({ deviceKey: 'ble:b1', start: T0, days: 1 }), { now });
  const seqs = nextUnsent(store, 0, 10_000).map((r) => r.seq);
  const n = seqs.length;
  assert.ok(n > 6);
  assert.deepEqual(loadSentMark(store), { through: 0, atMs: 0 });
  markSent(store, seqs[4], 1000);
  assert.deepEqual(sentMark(store), { through: seqs[4], atMs: 1000 });
  markSent(store, seqs[2], 2000); // never back
  assert.equal(sentMark(store).through, seqs[4]);
  // A mark commits without its own fsync, and leaves the connection as durable as it found it (FULL = 2).
  assert.equal(store.db.pragma('synchronous', { simple: true }), 2);
  assert.equal(outboxStats(store).unsent, n - 5);
  assert.equal(outboxStats(store).entries, n);
  assert.equal(hasUnsent(store), true);
  // acks off: only entries at or below the mark may be pruned
  assert.equal(deleteSentThrough(store, seqs[6]), 5);
  assert.equal(outboxStats(store).entries, n - 5);
  markSent(store, seqs[n - 1], 3000);
  assert.equal(hasUnsent(store), false);
  assert.equal(outboxStats(store).unsent, 0);
  assert.equal(resendAfter(store, seqs[n - 3]), 2);
  assert.equal(sentMark(store).through, seqs[n - 3]);
  assert.deepEqual(
    nextUnsent(store, sentMark(store).through, 10).map((r) => r.seq),
    seqs.slice(n - 2),
  );
  assert.equal(resendAfter(store, seqs[n - 1]), 0, 'nothing sent after it');
});

test('a database from before the sent mark: sent through its first unsent entry, later marks sent again', (t) => {
  const store = hub(t);
  ingest(store, bgSeries({ deviceKey: 'ble:b1', start: T0, days: 1 }), { now });
  const seqs = nextUnsent(store, 0, 10_000).map((r) => r.seq);
  assert.ok(seqs.length > 6);
  // per-row marks as the publisher wrote them before: 1..3 sent, 4 not, 5 sent (a gap)
  const mark = store.db.prepare('UPDATE outbox SET sent_ms = 5 WHERE seq = ?');
  for (const i of [0, 1, 2, 4]) mark.run(seqs[i]);
  assert.deepEqual(sentMark(store), { through: seqs[2], atMs: 0 }, 'read-only view');
  assert.equal(outboxStats(store).unsent, seqs.length - 4);
  assert.deepEqual(loadSentMark(store), { through: seqs[2], atMs: 0 });
  assert.equal(outboxStats(store).unsent, seqs.length - 3, 'the sent entry after the gap is queued again');
  assert.deepEqual(
    nextUnsent(store, seqs[2], 2).map((r) => r.seq),
    [seqs[3], seqs[4]],
  );
});

function capture(): { log: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return {
    log: pino({ level: 'debug' }, stream),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

test('cap policy keep-and-alarm: everything kept, alarm in status, metric and log', async (t) => {
  const store = hub(t);
  ingest(store, bgSeries({ deviceKey: 'ble:b1', start: T0, days: 2 }), { now });
  const n = outboxStats(store).entries;
  const { log, lines } = capture();
  const url = `mqtt://127.0.0.1:${await freePort()}`;
  const opts = publisherOptions('hub-a', url, {
    outbox: { maxEntries: 5, maxAgeHours: 24, onExceed: 'keep-and-alarm' },
    connection: {
      url,
      clientId: 'c',
      keepaliveSeconds: 5,
      connectTimeoutMs: 500,
      reconnect: { minMs: 50, maxMs: 100 },
      username: 'hub-a',
      password: 'hunter2-secret',
    },
    log,
  });
  const publisher = new Publisher(store, opts);
  t.after(() => publisher.stop());
  publisher.start();
  assert.equal(publisher.status().alarm.active, true);
  assert.match(publisher.status().alarm.reason!, new RegExp(`${n} entries`));
  assert.equal(publisher.metrics().alarm, 1);
  assert.equal(publisher.metrics().backlogEntries, n);
  assert.equal(outboxStats(store).entries, n);
  await new Promise((r) => setTimeout(r, 300)); // a few failed connection attempts
  assert.equal(publisher.isConnected, false);
  const logged = lines();
  assert.ok(logged.some((l) => l.msg === 'sync alarm raised'));
  assert.ok(!JSON.stringify(logged).includes('hunter2-secret'), 'no password in the log');
});

test('cap policy drop-oldest: keeps the newest entries and raises a sticky alarm', async (t) => {
  const store = hub(t);
  ingest(store, bgSeries({ deviceKey: 'ble:b1', start: T0, days: 2 }), { now });
  const before = nextUnsent(store, 0, 1000);
  const url = `mqtt://127.0.0.1:${await freePort()}`;
  const publisher = new Publisher(
    store,
    publisherOptions('hub-a', url, { outbox: { maxEntries: 5, maxAgeHours: 24, onExceed: 'drop-oldest' } }),
  );
  t.after(() => publisher.stop());
  publisher.start();
  const after = nextUnsent(store, 0, 1000);
  assert.deepEqual(
    after.map((r) => r.seq),
    before.slice(-5).map((r) => r.seq),
  );
  const status = publisher.status();
  assert.equal(status.counters.droppedEntries, before.length - 5);
  assert.equal(status.alarm.active, true);
  assert.match(status.alarm.reason!, /dropped/);
});

test('the drain encodes the stored rows: every resource JSON arrives byte for byte, in both formats', (t) => {
  for (const format of ['cbor', 'json'] as const) {
    const store = hub(t);
    ingest(store, cgmSeries({ deviceKey: 'ble:c1', sessionStart: T0, count: 300 }), { now });
    ingest(store, bgSeries({ deviceKey: 'ble:b1', start: T0, days: 3 }), { now });
    // Text beyond ASCII in a resource and in an assignment's device key: every byte must survive.
    // written and queued as a pipeline writes and queues
    const written = putResource(
      store,
      {
        index: { type: 'Device', id: 'dev-ü', deviceKey: 'serial:Gerät-ü' },
        render: (meta) => ({
          resourceType: 'Device',
          id: 'dev-ü',
          meta,
          manufacturer: 'Zürich Medizintechnik ✓ 🩸',
        }),
      },
      now.getTime(),
    );
    queueForSync(store, [written!]);
    const p = addPatient(store, 'alice@example.org', now.getTime());
    assignDevice(store, 'serial:Gerät-ü', p.id, now.getTime());
    const sender = { gw: 'hub-1', stream: 'abc', now: () => 1 };
    const seen = new Map<string, string>();
    let batches = 0;
    for (let after = 0; ; batches++) {
      const batch = nextBatch(store, after, { format, batchSize: 7, maxBatchBytes: 1 << 20 }, sender);
      if (!batch) break;
      const decoded = decodeBatch(batch.payload, format === 'json' ? 'application/json' : undefined);
      assert.deepEqual([decoded.from, decoded.to], [batch.from, batch.to]);
      assert.equal(decoded.floor, outboxFloor(store), `${format}: the floor`);
      for (const e of decoded.entries)
        if (e.kind === 'resource') seen.set(`${e.type}/${e.id}@${e.version}`, resourceJson(e));
      assert.equal(decoded.entries.at(-1)!.seq, batch.to);
      after = batch.to;
    }
    assert.ok(batches >= 5, `${format}: walked ${batches} batches`);
    for (const r of listResources(store)) assert.equal(seen.get(`${r.type}/${r.id}@${r.version}`), r.json);
    const last = decodeBatch(
      encodeBatch({ ...sender, floor: 1, sentAt: 1 }, nextUnsent(store, lastSeq(store) - 1, 1), format),
    );
    assert.deepEqual(
      last.entries[0].kind === 'assignment' && [last.entries[0].deviceKey, last.entries[0].until],
      ['serial:Gerät-ü', null],
    );
  }
});

test('sequence numbers are never reused after pruning', (t) => {
  const store = hub(t);
  ingest(store, bgSeries({ deviceKey: 'ble:b1', start: T0, days: 1 }), { now });
  const before = lastSeq(store);
  deleteThrough(store, before);
  assert.equal(outboxStats(store).entries, 0);
  ingest(store, bgSeries({ deviceKey: 'ble:b2', start: T0, days: 1 }), { now });
  const [first] = nextUnsent(store, 0, 1);
  assert.equal(first.seq, before + 1);
  const decoded = decodeBatch(encodeBatch({ gw: 'g', stream: 's', floor: 1, sentAt: 1 }, [first], 'cbor'));
  assert.equal(decoded.entries[0].seq, before + 1);
});
