// `npm run bench -- mqtt [readings=100000] [bgShare=0.5]` or `npm run bench -- mqtt hub` (a hub's real load, hubFill)
// MQTT drain throughput: 100,000 readings (CGM 1-minute chunks and BG Observations) stored through ingest(),
// queued in the outbox, drained by the Publisher to a local Mosquitto at QoS 1 (PUBACK, then marked sent),
// against the ceiling of raw mqtt.js publishing the very same payloads with no outbox, at the same QoS and with the
// same in-flight window (it used to have all 500 messages in flight at once). Also bytes per reading
// on the wire (TCP bytes written by the client) for CBOR and JSON.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Socket } from 'node:net';
import mqtt from 'mqtt';
import { bgSeries, cgmSeries } from '../firmware-bridge/synthetic-readings.ts';
import { ingest } from '../gateway/ingest/pipeline.ts';
import { hasUnsent, lastSeq, outboxStats, resendAfter } from '../gateway/store/outbox.ts';
import { openStore, type Store } from '../gateway/store/store.ts';
import { attachOutbox, outboxStream } from '../gateway/sync/outbox-writer.ts';
import { nextBatch } from '../gateway/sync/next-batch.ts';
import { CONTENT_TYPE, type PayloadFormat } from '../gateway/sync/payload.ts';
import { Publisher, type PublisherOptions } from '../gateway/sync/publisher.ts';
import { Broker } from './rigs/broker.ts';

const BATCH = 100;
const MAX_BATCH_BYTES = 1 << 20;
const INFLIGHT = Number(process.env.BENCH_INFLIGHT ?? 16);

function fill(store: Store, total: number, bgShare: number): { cgm: number; bg: number } {
  const start = new Date('2025-01-01T00:00:00Z');
  const now = new Date('2026-01-01T00:00:00Z');
  const bg = Math.round(total * bgShare);
  const cgm = total - bg;
  // CGM: 1-minute samples, 14-day sessions, ingested in 6-hour batches (a chunk is rendered once per batch).
  const perSession = 20_160;
  for (let done = 0; done < cgm;) {
    const session = Math.floor(done / perSession);
    const n = Math.min(360, cgm - done, perSession - (done % perSession));
    ingest(
      store,
      cgmSeries({
        deviceKey: 'ble:cgm-0',
        sessionStart: new Date(start.getTime() + session * perSession * 60_000),
        firstIndex: done % perSession,
        count: n,
      }),
      { now },
    );
    done += n;
  }
  // BG: ten meters, one Observation per reading.
  const meters = 10;
  for (let m = 0; m < meters; m++) {
    const all = bgSeries({ deviceKey: `serial:bg-${m}`, start, days: Math.ceil(bg / meters / 8) }).slice(
      0,
      Math.ceil(bg / meters),
    );
    for (let i = 0; i < all.length; i += 1000) ingest(store, all.slice(i, i + 1000), { now });
  }
  return { cgm, bg };
}

/**
 * A hub's real load (`mqtt hub`): one CGM at one sample a minute and one meter at six readings a day, 14 days
 * of it queued while the hub was offline, ingested as the drivers hand it over (the CGM's live values every
 * few minutes, so each chunk is queued in many versions). Returns the number of readings.
 */
function hubFill(store: Store): { cgm: number; bg: number } {
  const now = new Date('2026-01-15T00:00:00Z');
  const start = new Date(now.getTime() - 14 * 86_400_000);
  const cgm = cgmSeries({ deviceKey: 'ble:cgm-hub', sessionStart: start, count: 14 * 1440, sessionDays: 15 });
  for (let i = 0; i < cgm.length; i += 5) ingest(store, cgm.slice(i, i + 5), { now });
  const bg = bgSeries({ deviceKey: 'ble:bg-hub', start, days: 14, perDay: 6 });
  for (const r of bg) ingest(store, [r], { now });
  return { cgm: cgm.length, bg: bg.length };
}

function socketOf(client: mqtt.MqttClient): Socket {
  return (client as unknown as { stream: Socket }).stream;
}

async function drain(
  store: Store,
  url: string,
  format: PayloadFormat,
): Promise<{ ms: number; cpuMs: number; messages: number }> {
  resendAfter(store, 0); // everything unsent again (the second format drains the same entries)
  const opts: PublisherOptions = {
    gatewayId: 'bench-hub',
    connection: {
      url,
      clientId: `bench-${format}`,
      keepaliveSeconds: 30,
      connectTimeoutMs: 5000,
      reconnect: { minMs: 100, maxMs: 1000 },
    },
    topicPrefix: 'hddt/v1',
    qos: 1,
    format,
    batchSize: BATCH,
    maxBatchBytes: MAX_BATCH_BYTES,
    maxInflight: INFLIGHT,
    maxMessagesPerSecond: 0,
    outbox: { maxEntries: 10_000_000, maxAgeHours: 1e6, onExceed: 'keep-and-alarm' },
    ack: { enabled: true, resendAfterMs: 3_600_000 },
    pollMs: 1000,
    capCheckMs: 60_000,
  };
  const publisher = new Publisher(store, opts);
  publisher.start();
  // Timed from the CONNACK, like the raw run (which connects before its clock starts).
  while (!publisher.isConnected) await new Promise((r) => setImmediate(r));
  const last = lastSeq(store);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  // Polled every millisecond from memory (no query on the drain's thread): the end is seen within ~1 ms of the
  // last stored mark (the raw run ends at its last PUBACK).
  while (publisher.sentThrough < last) await new Promise((r) => setTimeout(r, 1));
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  if (hasUnsent(store)) throw new Error('the publisher marked everything sent, the store disagrees');
  const m = publisher.metrics();
  await publisher.stop();
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, messages: m.messagesSent };
}

/** The same batches the publisher sends, made up front the way it makes them. */
function payloads(store: Store, format: PayloadFormat): Buffer[] {
  const sender = { gw: 'bench-hub', stream: outboxStream(store), now: Date.now };
  const limits = { format, batchSize: BATCH, maxBatchBytes: MAX_BATCH_BYTES };
  const out: Buffer[] = [];
  for (let after = 0, batch; (batch = nextBatch(store, after, limits, sender)); after = batch.to)
    out.push(batch.payload);
  return out;
}

/**
 * Raw mqtt.js: publish every payload at QoS 1 and wait for all PUBACKs, keeping at most `window` messages in
 * flight like the publisher (MQTT 5 also forbids more than the broker's Receive Maximum: Mosquitto says 20).
 * Returns ms and TCP bytes written.
 */
async function raw(
  url: string,
  list: Buffer[],
  format: PayloadFormat,
  window: number,
): Promise<{ ms: number; cpuMs: number; wireBytes: number }> {
  const client = await mqtt.connectAsync(url, {
    protocolVersion: 5,
    clientId: `raw-${format}`,
    reconnectPeriod: 0,
  });
  const before = socketOf(client).bytesWritten;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await new Promise<void>((resolve, reject) => {
    let next = 0;
    let acked = 0;
    const opts = { qos: 1 as const, properties: { contentType: CONTENT_TYPE[format] } };
    const fill = (): void => {
      while (next < list.length && next - acked < window) {
        client.publish('hddt/v1/bench-raw/batch', list[next++], opts, (err) => {
          if (err) return reject(err);
          if (++acked === list.length) resolve();
          else fill();
        });
      }
    };
    fill();
  });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const wireBytes = socketOf(client).bytesWritten - before;
  await client.endAsync();
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, wireBytes };
}

const RUNS = Number(process.env.BENCH_RUNS ?? 7);

function medianOf(values: number[]): number {
  return [...values].sort((a, b) => a - b)[values.length >> 1];
}

/** The run with the median time. */
function median<T extends { ms: number }>(runs: T[]): T {
  return [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(runs.length / 2)];
}

type Alternated = Awaited<ReturnType<typeof alternate>>;

async function alternate(store: Store, url: string, format: PayloadFormat) {
  // Both sides are short measurements (a fraction of a second) that a busy machine easily disturbs: a first
  // pair warms up (its times are printed, not counted: the first drain after the fill reads a cold file),
  // then each side runs RUNS times (default 7), alternating; the run with the median time counts, and each
  // drain is also compared with the raw run right after it (same machine load), median of those ratios.
  const drains: Awaited<ReturnType<typeof drain>>[] = [];
  const raws: Awaited<ReturnType<typeof raw>>[] = [];
  let list: Buffer[] = [];
  let encodeMs = 0;
  let warmup: { outbox: number; rawMqttJs: number } | undefined;
  for (let i = 0; i <= RUNS; i++) {
    const d = await drain(store, url, format);
    resendAfter(store, 0);
    const e0 = performance.now();
    list = payloads(store, format);
    encodeMs = performance.now() - e0;
    const r = await raw(url, list, format, INFLIGHT);
    if (i === 0) {
      warmup = { outbox: +(d.ms / 1000).toFixed(3), rawMqttJs: +(r.ms / 1000).toFixed(3) };
      continue;
    }
    drains.push(d);
    raws.push(r);
  }
  return { drains, raws, list, encodeMs, warmup };
}

function formatFigures(a: Alternated, total: number, fillMs: number) {
  const { drains, raws, list, encodeMs, warmup } = a;
  const d = median(drains);
  const r = median(raws);
  const payloadBytes = list.reduce((n, b) => n + b.length, 0);
  return {
    outbox: {
      seconds: +(d.ms / 1000).toFixed(3),
      readingsPerSecond: Math.round(total / (d.ms / 1000)),
      messagesPerSecond: Math.round(d.messages / (d.ms / 1000)),
      messages: d.messages,
      cpuSeconds: +(d.cpuMs / 1000).toFixed(3),
    },
    rawMqttJs: {
      seconds: +(r.ms / 1000).toFixed(3),
      readingsPerSecond: Math.round(total / (r.ms / 1000)),
      messagesPerSecond: Math.round(list.length / (r.ms / 1000)),
      cpuSeconds: +(r.cpuMs / 1000).toFixed(3),
    },
    ratio: +(r.ms / d.ms).toFixed(3),
    pairedRatio: +medianOf(drains.map((x, i) => raws[i].ms / x.ms)).toFixed(3),
    runsSeconds: {
      warmup,
      outbox: drains.map((x) => +(x.ms / 1000).toFixed(3)),
      rawMqttJs: raws.map((x) => +(x.ms / 1000).toFixed(3)),
    },
    // Load-independent view: readings per CPU-second of this process (the broker's CPU not counted).
    readingsPerCpuSecond: Math.round(total / (d.cpuMs / 1000)),
    readAndEncodeSeconds: +(encodeMs / 1000).toFixed(3),
    payloadBytesPerReading: +(payloadBytes / total).toFixed(1),
    wireBytesPerReading: +(r.wireBytes / total).toFixed(1),
    ingestWithOutboxMs: Math.round(fillMs),
  };
}

export async function run(args: string[] = []): Promise<object> {
  // `hub`: a hub's real load (hubFill); else `readings` and the share of BG readings (one Observation each;
  // the rest are CGM samples, 60 per hourly chunk).
  const hub = args[0] === 'hub';
  let total = hub ? 0 : Number(args[0] ?? 100_000);
  const bgShare = Number(args[1] ?? 0.5);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-bench-mqtt-'));
  const broker = new Broker({ dir: path.join(tmp, 'broker') });
  try {
    await broker.start();
    const result: Record<string, unknown> = {
      scenario: hub
        ? 'hub: 14 days of one CGM (1/min, handed over 5 at a time) and one meter (6/day)'
        : 'bulk',
      batchSize: BATCH,
      maxInflight: INFLIGHT,
      qos: 1,
    };
    for (const format of (process.env.BENCH_ORDER ?? 'cbor,json').split(',') as PayloadFormat[]) {
      // A hub with sync on (each format drains its own store, so neither run warms the other's file).
      const store = openStore({ path: path.join(tmp, `hub-${format}.sqlite`) });
      attachOutbox(store);
      const t0 = performance.now();
      const mix = hub ? hubFill(store) : fill(store, total, bgShare);
      total = mix.cgm + mix.bg;
      const fillMs = performance.now() - t0;
      result.mix = mix;
      result.outboxEntries = outboxStats(store).entries;
      // A hub at rest: the fill's WAL checkpointed, so the first drain does not pay for it.
      store.db.pragma('wal_checkpoint(TRUNCATE)');
      const { drains, raws, list, encodeMs, warmup } = await alternate(store, broker.url, format);
      result[format] = formatFigures({ drains, raws, list, encodeMs, warmup }, total, fillMs);
      store.close();
    }
    result.readings = total;
    result.targets = { readingsPerSecond: 20_000, ratio: 0.5 };
    return result;
  } finally {
    await broker.stop('SIGTERM');
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
