// Recorder side: consumes hub batches into a normal store (the FHIR server can serve it as is). A message is
// acknowledged (PUBACK) only after its transaction committed, so a crash before that means a redelivery, never
// a loss; applying is idempotent (gateway stream + sequence, resource id + version), so redeliveries and resends
// change nothing. Progress goes back to each hub on <prefix>/<gw>/ack so it can resend what a broker lost.
import type { IConnackPacket, IPublishPacket, MqttClient } from 'mqtt';
import { pino, type Logger } from 'pino';
import type { ResourceRow } from '../store/resources.ts';
import type { Store } from '../store/store.ts';
import {
  addAppliedRange,
  applyAssignment,
  applyPeriod,
  applyResourceVersion,
  noteStream,
  parkPayload,
  rangeApplied,
  streamProgress,
} from '../store/sync-inbox.ts';
import { safeUrl, type BrokerConnection } from './connection.ts';
import { ConnectionKeeper } from './connection-keeper.ts';
import { decodeBatch, PayloadError, resourceJson, type AssignmentEntry, type Batch } from './payload.ts';
import { ackTopic, batchSubscription, parseTopic } from './topics.ts';

export interface ConsumerOptions {
  connection: BrokerConnection;
  topicPrefix: string;
  /** Shared subscription group; empty = plain subscription. */
  group: string;
  sessionExpirySeconds: number;
  ackIntervalMs: number;
  heartbeatMs: number;
  now?: () => number;
  log?: Logger;
}

export interface ConsumerStats {
  connected: boolean;
  batches: number;
  duplicateBatches: number;
  entries: number;
  written: number;
  olderOrSame: number;
  conflicts: number;
  parked: number;
  acksPublished: number;
}

/** How much of a bad payload goes into the log. */
const HEX_LOG_BYTES = 256;
/** Gateways heard from within this many heartbeats get periodic acks (proof of a live recorder). */
const ACTIVE_HEARTBEATS = 40;

/** The recorder-side device key: hub device keys are only unique per hub. */
export const namespacedDeviceKey = (gw: string, deviceKey: string) => `${gw}/${deviceKey}`;
/** The recorder-side patient id: the hub's pseudonymous handle, namespaced by hub. */
export const namespacedPatient = (gw: string, handle: string) => `${gw}/${handle}`;

export class Consumer {
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly conn: ConnectionKeeper;
  private readonly intervals: NodeJS.Timeout[] = [];
  /** Gateways whose progress changed since the last ack. */
  private readonly dirty = new Set<string>();
  /** Gateway → its current stream and when we last heard of it. */
  private readonly known = new Map<string, { stream: string; seenMs: number; online: boolean }>();
  private readonly counters = {
    batches: 0,
    duplicateBatches: 0,
    entries: 0,
    written: 0,
    olderOrSame: 0,
    conflicts: 0,
    parked: 0,
    acksPublished: 0,
  };

  private readonly store: Store;
  private readonly opts: ConsumerOptions;

  constructor(store: Store, opts: ConsumerOptions) {
    this.store = store;
    this.opts = opts;
    this.log = (opts.log ?? pino({ level: 'silent' })).child({ component: 'mqtt-consumer' });
    this.now = opts.now ?? Date.now;
    this.conn = new ConnectionKeeper(
      { connection: opts.connection, log: this.log, lostMessage: 'consumer lost the broker' },
      {
        options: (epoch) => ({
          // Persistent session: the broker keeps our subscription and queues batches while we are away.
          clean: false,
          properties: { sessionExpiryInterval: this.opts.sessionExpirySeconds },
          // PUBACK only after the batch is committed: mqtt.js sends it when this callback is called.
          customHandleAcks: (topic, message, packet: IPublishPacket, done) => {
            try {
              this.handle(topic, message, packet);
            } catch (err) {
              // Not acknowledged: the broker redelivers after we reconnect.
              this.log.error({ err: (err as Error).message, topic }, 'cannot store a batch; reconnecting');
              done(err as Error);
              if (this.conn.isCurrent(epoch)) this.conn.drop('store write failed');
              return;
            }
            done(0);
          },
        }),
        connected: (client, connack, epoch) => this.onConnect(client, connack, epoch),
      },
    );
  }

  start(): void {
    this.intervals.push(setInterval(() => this.publishAcks(false), this.opts.ackIntervalMs));
    this.intervals.push(setInterval(() => this.publishAcks(true), this.opts.heartbeatMs));
    this.conn.start();
  }

  async stop(): Promise<void> {
    for (const t of this.intervals) clearInterval(t);
    await this.conn.stop(async () => this.publishAcks(false));
  }

  stats(): ConsumerStats {
    return { connected: this.conn.connected, ...this.counters };
  }

  private onConnect(client: MqttClient, connack: IConnackPacket, epoch: number): void {
    this.log.info(
      { broker: safeUrl(this.opts.connection.url), sessionPresent: connack.sessionPresent },
      'consumer connected',
    );
    // Subscribing again on a resumed session is harmless, and needed: some brokers (Mosquitto 2.0) do not
    // restore shared subscriptions from persistence after a restart.
    const prefix = this.opts.topicPrefix;
    client.subscribe(
      {
        [batchSubscription(prefix, this.opts.group)]: { qos: 1 },
        [`${prefix}/+/status`]: { qos: 1 },
      },
      (err, granted) => {
        if (!this.conn.isCurrent(epoch)) return;
        const refused = granted?.filter((g) => g.qos === 128) ?? [];
        if (err || refused.length > 0) {
          this.log.error({ err: err?.message, refused: refused.map((g) => g.topic) }, 'subscription refused');
          this.conn.drop('subscription refused');
        }
      },
    );
  }

  /** Handles one message. Throws only when the store cannot be written (then the message is not acked). */
  private handle(topic: string, message: Buffer, packet: IPublishPacket): void {
    const t = parseTopic(this.opts.topicPrefix, topic);
    if (t?.leaf === 'status') {
      this.onStatus(t.gw, message);
      return;
    }
    if (!t || t.leaf !== 'batch') {
      this.park(topic, 'unexpected topic', message);
      return;
    }
    let batch: Batch;
    try {
      batch = decodeBatch(message, packet.properties?.contentType);
    } catch (err) {
      if (!(err instanceof PayloadError)) throw err;
      this.park(topic, err.message, message);
      return;
    }
    if (batch.gw !== t.gw) {
      this.park(topic, `payload gateway ${batch.gw} differs from the topic's`, message);
      return;
    }
    this.apply(topic, batch);
  }

  /** Version 2 entries carry their period; version 1 entries say who has the device from `at` on. */
  private applyAssignmentEntry(gw: string, stream: string, e: AssignmentEntry): void {
    const device = namespacedDeviceKey(gw, e.deviceKey);
    if (e.from !== undefined && e.patient !== null) {
      applyPeriod(this.store, device, namespacedPatient(gw, e.patient), e.from, e.until ?? null, e.at);
      return;
    }
    const patient = e.patient === null ? null : namespacedPatient(gw, e.patient);
    applyAssignment(this.store, device, patient, stream, e.seq, e.at);
  }

  private apply(topic: string, batch: Batch): void {
    const { gw, stream } = batch;
    const ns = namespacedDeviceKey(gw, '');
    const now = this.now();
    this.store.transaction(() => {
      noteStream(this.store, gw, stream, batch.floor, now);
      if (rangeApplied(this.store, gw, stream, batch.from, batch.to)) {
        this.counters.duplicateBatches++;
        return;
      }
      for (const e of batch.entries) {
        this.counters.entries++;
        if (e.kind === 'assignment') {
          this.applyAssignmentEntry(gw, stream, e);
          continue;
        }
        const row: ResourceRow = {
          type: e.type,
          id: e.id,
          version: e.version,
          last_updated_ms: e.lastUpdated,
          device_key: namespacedDeviceKey(gw, e.deviceKey),
          code: e.index.code,
          effective_start_ms: e.index.effectiveStart,
          effective_end_ms: e.index.effectiveEnd,
          value: e.index.value,
          unit: e.index.unit,
          ref: e.index.ref,
          status: e.index.status,
          json: resourceJson(e),
        };
        const outcome = applyResourceVersion(this.store, row, ns);
        if (outcome === 'written') this.counters.written++;
        else if (outcome === 'conflict') {
          this.counters.conflicts++;
          this.park(topic, `${e.type}/${e.id} belongs to another gateway`, Buffer.from(JSON.stringify(e)));
        } else this.counters.olderOrSame++;
      }
      addAppliedRange(this.store, gw, stream, batch.from, batch.to);
      this.counters.batches++;
    });
    this.known.set(gw, { stream, seenMs: now, online: true });
    this.dirty.add(gw);
  }

  private onStatus(gw: string, message: Buffer): void {
    let s: { state?: unknown; stream?: unknown };
    try {
      s = JSON.parse(message.toString('utf8')) as typeof s;
    } catch {
      s = {};
    }
    if ((s.state !== 'online' && s.state !== 'offline') || typeof s.stream !== 'string') {
      this.log.warn(
        { gw, bytes: message.length, hex: message.subarray(0, HEX_LOG_BYTES).toString('hex') },
        'ignoring a malformed status message',
      );
      return;
    }
    const online = s.state === 'online';
    this.known.set(gw, { stream: s.stream, seenMs: this.now(), online });
    if (online) this.dirty.add(gw); // a (re)started hub learns at once what we already have
  }

  private park(topic: string, reason: string, payload: Buffer): void {
    this.counters.parked++;
    this.log.warn(
      {
        topic,
        reason,
        bytes: payload.length,
        hex: payload.subarray(0, HEX_LOG_BYTES).toString('hex'),
        truncated: payload.length > HEX_LOG_BYTES,
      },
      'parked a payload that cannot be applied',
    );
    parkPayload(this.store, topic, reason, payload, this.now());
  }

  /** Publishes progress (retained) for gateways that changed, or on heartbeat for every active gateway. */
  private publishAcks(heartbeat: boolean): void {
    const client = this.conn.current;
    if (!client || !this.store.db.open) return;
    const now = this.now();
    const gws = heartbeat
      ? [...this.known].filter(
          ([, k]) => k.online || now - k.seenMs < ACTIVE_HEARTBEATS * this.opts.heartbeatMs,
        )
      : [...this.dirty].map((gw) => [gw, this.known.get(gw)] as const);
    this.dirty.clear();
    for (const [gw, k] of gws) {
      if (!k) continue;
      const p = streamProgress(this.store, gw, k.stream);
      const payload = JSON.stringify({ v: 1, gw, stream: k.stream, through: p.through, max: p.max, at: now });
      client.publish(ackTopic(this.opts.topicPrefix, gw), payload, { qos: 1, retain: true }, () => {});
      this.counters.acksPublished++;
    }
  }
}
