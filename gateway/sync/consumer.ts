// Recorder side: consumes hub batches into a normal store (the FHIR server can serve it as is). A message is
// acknowledged (PUBACK) only after its transaction committed, so a crash before that means a redelivery, never
// a loss; applying is idempotent (gateway stream + sequence, resource id + version), so redeliveries and resends
// change nothing. Progress goes back to each hub on <prefix>/<gw>/ack so it can resend what a broker lost.
import type { IConnackPacket, IPublishPacket, MqttClient } from 'mqtt';
import { pino, type Logger } from 'pino';
import { Store } from '../store/store.ts';
import { safeUrl, type BrokerConnection } from './connection.ts';
import { ConnectionKeeper } from './connection-keeper.ts';
import { inboxBatch } from './inbox-batch.ts';
import { decodeBatch, PayloadError, type Batch } from './payload.ts';
import type { RecorderStore } from './recorder-store.ts';
import { sqliteRecorder } from './sqlite-recorder.ts';
import { ackTopic, batchSubscription, parseTopic } from './topics.ts';

export { namespacedDeviceKey, namespacedPatient } from './inbox-batch.ts';

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
  /** The broker granted this connection's subscriptions (a shared group gets its share from then on). */
  subscribed: boolean;
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

  private readonly store: RecorderStore;
  private readonly opts: ConsumerOptions;
  /** Set while acks are being published, so a slow store never stacks up timer runs. */
  private publishing = false;
  /** Epoch of the connection whose subscriptions were granted. */
  private subscribedEpoch = -1;

  /** A SQLite store, or any recorder store (PostgreSQL: gateway/store/postgres/inbox.ts). */
  constructor(store: Store | RecorderStore, opts: ConsumerOptions) {
    this.store = store instanceof Store ? sqliteRecorder(store) : store;
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
          // mqtt.js handles the next packet only after `done`: one batch at a time per consumer. A client that was
          // abandoned meanwhile gets no `done` at all: mqtt.js would go on handling the packets it had queued on
          // a closed client (and fail inside), and the broker redelivers what we did not acknowledge anyway.
          customHandleAcks: (topic, message, packet: IPublishPacket, done) => {
            this.handle(topic, message, packet).then(
              () => {
                if (this.conn.isCurrent(epoch)) done(0);
              },
              (err: unknown) => {
                // Not acknowledged: the broker redelivers after we reconnect.
                this.log.error({ err: (err as Error).message, topic }, 'cannot store a batch; reconnecting');
                if (this.conn.isCurrent(epoch)) this.conn.drop('store write failed');
              },
            );
          },
        }),
        connected: (client, connack, epoch) => this.onConnect(client, connack, epoch),
      },
    );
  }

  start(): void {
    this.intervals.push(setInterval(() => void this.publishAcks(false), this.opts.ackIntervalMs));
    this.intervals.push(setInterval(() => void this.publishAcks(true), this.opts.heartbeatMs));
    this.conn.start();
  }

  async stop(): Promise<void> {
    for (const t of this.intervals) clearInterval(t);
    await this.conn.stop(async () => this.publishAcks(false));
  }

  stats(): ConsumerStats {
    const connected = this.conn.connected;
    return {
      connected,
      subscribed: connected && this.conn.isCurrent(this.subscribedEpoch),
      ...this.counters,
    };
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
        } else this.subscribedEpoch = epoch;
      },
    );
  }

  /** Handles one message. Rejects only when the store cannot be written (then the message is not acked). */
  private async handle(topic: string, message: Buffer, packet: IPublishPacket): Promise<void> {
    const t = parseTopic(this.opts.topicPrefix, topic);
    if (t?.leaf === 'status') {
      this.onStatus(t.gw, message);
      return;
    }
    if (!t || t.leaf !== 'batch') {
      await this.park(topic, 'unexpected topic', message);
      return;
    }
    let batch: Batch;
    try {
      batch = decodeBatch(message, packet.properties?.contentType);
    } catch (err) {
      if (!(err instanceof PayloadError)) throw err;
      await this.park(topic, err.message, message);
      return;
    }
    if (batch.gw !== t.gw) {
      await this.park(topic, `payload gateway ${batch.gw} differs from the topic's`, message);
      return;
    }
    await this.apply(topic, batch);
  }

  private async apply(topic: string, batch: Batch): Promise<void> {
    const { gw, stream } = batch;
    const now = this.now();
    const out = await this.store.applyBatch(inboxBatch(topic, batch), now);
    if (out.duplicate) this.counters.duplicateBatches++;
    else {
      this.counters.batches++;
      this.counters.entries += batch.entries.length;
      this.counters.written += out.written;
      this.counters.olderOrSame += out.olderOrSame;
      this.counters.conflicts += out.conflicts.length;
      for (const c of out.conflicts) this.logParked(topic, c.reason, c.payload);
    }
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

  private async park(topic: string, reason: string, payload: Buffer): Promise<void> {
    this.logParked(topic, reason, payload);
    await this.store.park(topic, reason, payload, this.now());
  }

  private logParked(topic: string, reason: string, payload: Buffer): void {
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
  }

  /** Publishes progress (retained) for gateways that changed, or on heartbeat for every active gateway. */
  private async publishAcks(heartbeat: boolean): Promise<void> {
    const client = this.conn.current;
    if (!client || !this.store.open || this.publishing) return;
    const now = this.now();
    const gws = heartbeat
      ? [...this.known].filter(
          ([, k]) => k.online || now - k.seenMs < ACTIVE_HEARTBEATS * this.opts.heartbeatMs,
        )
      : [...this.dirty].map((gw) => [gw, this.known.get(gw)] as const);
    this.dirty.clear();
    this.publishing = true;
    try {
      for (const [gw, k] of gws) {
        if (!k) continue;
        const p = await this.store.progress(gw, k.stream);
        const payload = JSON.stringify({
          v: 1,
          gw,
          stream: k.stream,
          through: p.through,
          max: p.max,
          at: now,
        });
        client.publish(ackTopic(this.opts.topicPrefix, gw), payload, { qos: 1, retain: true }, () => {});
        this.counters.acksPublished++;
      }
    } catch (err) {
      // The store is unreachable: the next run (or heartbeat) publishes what is due then.
      for (const [gw] of gws) this.dirty.add(gw);
      this.log.warn({ err: (err as Error).message }, 'cannot read sync progress; acks wait');
    } finally {
      this.publishing = false;
    }
  }
}
