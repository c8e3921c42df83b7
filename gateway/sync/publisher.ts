// Drains the outbox to the broker. Publishes only while connected (mqtt.js would otherwise queue in memory
// and lose it on a crash); an entry counts as sent only after the broker's PUBACK, and stays in the outbox
// until the recorder confirms it end to end (<prefix>/<gw>/ack), so a broker that loses messages it already
// acknowledged (crash before its autosave, a shared subscription not restored after restart) costs a resend,
// not data.
import type { IConnackPacket, MqttClient } from 'mqtt';
import { pino, type Logger } from 'pino';
import {
  deleteSentThrough,
  deleteThrough,
  dropOldest,
  loadSentMark,
  markSent,
  outboxStats,
  resendAfter,
} from '../store/outbox.ts';
import type { Store } from '../store/store.ts';
import { safeUrl } from './connection.ts';
import { ConnectionKeeper } from './connection-keeper.ts';
import { outboxStream } from './outbox-writer.ts';
import { nextBatch, type BatchSender, type OutgoingBatch } from './next-batch.ts';
import { CONTENT_TYPE } from './payload.ts';
import { RateLimit } from './rate-limit.ts';
import type { PublisherOptions, SyncAlarm, SyncStatus } from './publisher-options.ts';
import { SentWindow, type SentBatch } from './sent-window.ts';
import { ackTopic, batchTopic, statusTopic } from './topics.ts';

export type { CapPolicy, PublisherOptions, SyncAlarm, SyncStatus } from './publisher-options.ts';

export class Publisher {
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly conn: ConnectionKeeper;
  private readonly rate: RateLimit;
  private readonly stream: string;
  private readonly sender: BatchSender;
  private readonly topics: { batch: string; status: string; ack: string };

  private stopping = false;
  private started = false;
  /** Last sequence published on the current connection (the drain goes on from here). */
  private cursor = 0;
  private inflight = 0;
  /** maxInflight, or less when the broker's MQTT 5 Receive Maximum says so (CONNACK). */
  private windowSize = 1;
  private peakInflight = 0;
  private pumping = false;
  /** Batches awaiting PUBACK and the sent mark they move; `persistedThrough` is the mark the store has. */
  private readonly window = new SentWindow();
  private persistedThrough = 0;
  private markScheduled = false;
  private wakeScheduled = false;

  private confirmed = 0;
  /** When the oldest sent entry the recorder has not confirmed was sent (no earlier than the last progress). */
  private oldestUnconfirmedSentMs: number | undefined;
  private lastAliveMs = 0;
  private lastProgressMs = 0;

  private pumpTimer: NodeJS.Timeout | undefined;
  private readonly intervals: NodeJS.Timeout[] = [];

  private readonly counters = {
    messagesSent: 0,
    entriesSent: 0,
    connects: 0,
    resentEntries: 0,
    droppedEntries: 0,
  };
  private lastError: string | null = null;
  private alarmState: SyncAlarm = { active: false, reason: null, sinceMs: null };

  private readonly store: Store;
  private readonly opts: PublisherOptions;

  constructor(store: Store, opts: PublisherOptions) {
    this.store = store;
    this.opts = opts;
    this.log = (opts.log ?? pino({ level: 'silent' })).child({ component: 'mqtt-publisher' });
    this.now = opts.now ?? Date.now;
    this.rate = new RateLimit(opts.maxMessagesPerSecond, this.now);
    this.stream = outboxStream(store);
    this.sender = { gw: opts.gatewayId, stream: this.stream, now: this.now };
    this.topics = {
      batch: batchTopic(opts.topicPrefix, opts.gatewayId),
      status: statusTopic(opts.topicPrefix, opts.gatewayId),
      ack: ackTopic(opts.topicPrefix, opts.gatewayId),
    };
    this.conn = new ConnectionKeeper(
      { connection: opts.connection, log: this.log, lostMessage: 'broker connection lost' },
      {
        options: () => ({
          clean: true,
          will: { topic: this.topics.status, payload: this.statusPayload('offline'), qos: 1, retain: true },
        }),
        connected: (client, connack, epoch) => this.onConnect(client, connack, epoch),
        message: (topic, payload, packet) => {
          if (topic === this.topics.ack) this.onAck(payload, packet.retain);
        },
        error: (err) => {
          this.lastError = err.message;
        },
        // What was acknowledged on the abandoned connection is stored; its in-flight entries stay unsent.
        dropped: () => this.flushMarks(),
      },
    );
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const mark = loadSentMark(this.store);
    this.window.restart(mark.through);
    this.persistedThrough = mark.through;
    // Sent before a restart and not confirmed yet: treat as sent when last marked (resend no earlier than due).
    if (mark.through > 0) this.oldestUnconfirmedSentMs = mark.atMs || this.now();
    this.intervals.push(setInterval(() => this.pump(), this.opts.pollMs ?? 1000));
    this.intervals.push(setInterval(() => this.checkCap(), this.opts.capCheckMs ?? 5000));
    if (this.opts.ack.enabled) {
      const every = Math.max(5, Math.min(1000, Math.floor(this.opts.ack.resendAfterMs / 2)));
      this.intervals.push(setInterval(() => this.checkResend(), every));
    }
    this.checkCap();
    this.conn.start();
  }

  /** New entries were queued in this process: drain without waiting for the next poll. */
  wake(): void {
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      this.pump();
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.intervals) clearInterval(t);
    clearTimeout(this.pumpTimer);
    this.flushMarks();
    // A clean goodbye: the retained status says offline (the will only fires on an unclean loss). PUBACKs that
    // arrive meanwhile still count.
    await this.conn.stop((client) =>
      client.publishAsync(this.topics.status, this.statusPayload('offline'), { qos: 1, retain: true }),
    );
    this.flushMarks();
  }

  private statusPayload(state: 'online' | 'offline'): Buffer {
    return Buffer.from(
      JSON.stringify({ v: 1, gw: this.opts.gatewayId, state, stream: this.stream, at: this.now() }),
    );
  }

  private onConnect(client: MqttClient, connack: IConnackPacket, epoch: number): void {
    this.window.restart(this.window.through);
    this.cursor = this.window.through;
    this.inflight = 0;
    // MQTT 5: never more unacknowledged QoS 1/2 PUBLISHes than the broker's Receive Maximum (HiveMQ's default
    // is 10, Mosquitto's 20); brokers that enforce it disconnect a client that exceeds it.
    const receiveMaximum = connack.properties?.receiveMaximum ?? 65_535;
    this.windowSize = Math.max(1, Math.min(this.opts.maxInflight, receiveMaximum));
    this.counters.connects++;
    this.log.info(
      { broker: safeUrl(this.opts.connection.url), inflightWindow: this.windowSize },
      'connected to broker',
    );
    client.publish(this.topics.status, this.statusPayload('online'), { qos: 1, retain: true }, () => {});
    if (this.opts.ack.enabled) {
      client.subscribe(this.topics.ack, { qos: 1 }, (err) => {
        if (err && this.conn.isCurrent(epoch))
          this.log.warn({ err: err.message }, 'cannot subscribe to acks');
      });
    }
    this.pump();
  }

  private pump(): void {
    const client = this.conn.current;
    if (!client || this.pumping || this.stopping) return;
    this.pumping = true;
    try {
      while (this.inflight < this.windowSize) {
        const wait = this.rate.wait();
        if (wait > 0) {
          if (!this.pumpTimer) {
            this.pumpTimer = setTimeout(() => {
              this.pumpTimer = undefined;
              this.pump();
            }, wait);
          }
          return;
        }
        const batch = nextBatch(this.store, this.cursor, this.opts, this.sender);
        if (!batch) return;
        this.rate.take();
        this.publish(client, batch);
      }
    } finally {
      this.pumping = false;
    }
  }

  private publish(client: MqttClient, { from, to, count, payload }: OutgoingBatch): void {
    const epoch = this.conn.epoch;
    this.cursor = to;
    this.inflight++;
    if (this.inflight > this.peakInflight) this.peakInflight = this.inflight;
    const batch = this.window.push(to);
    client.publish(
      this.topics.batch,
      payload,
      { qos: this.opts.qos, properties: { contentType: CONTENT_TYPE[this.opts.format] } },
      (err) => {
        if (!this.conn.isCurrent(epoch)) return; // connection abandoned: the entries stay unsent
        this.inflight--;
        if (err) {
          this.lastError = err.message;
          this.conn.drop(`publish of ${from}..${to} failed: ${err.message}`);
          return;
        }
        this.counters.messagesSent++;
        this.counters.entriesSent += count;
        this.advanceMark(batch);
        this.pump();
      },
    );
  }

  /** A PUBACK: the sent mark moves over the acknowledged batches at the head of the window, stored next tick. */
  private advanceMark(batch: SentBatch): void {
    const before = this.window.through;
    if (!this.window.ack(batch)) return;
    if (before <= this.confirmed && this.window.through > this.confirmed)
      this.oldestUnconfirmedSentMs = this.now();
    if (this.markScheduled) return;
    this.markScheduled = true;
    setImmediate(() => this.flushMarks());
  }

  /** One small transaction for all PUBACKs that arrived since the last flush. */
  private flushMarks(): void {
    this.markScheduled = false;
    const through = this.window.through;
    if (through <= this.persistedThrough || !this.store.db.open) return;
    markSent(this.store, through, this.now());
    this.persistedThrough = through;
    if (!this.opts.ack.enabled) deleteSentThrough(this.store, through);
  }

  private onAck(payload: Buffer, retained: boolean): void {
    let ack: { stream?: unknown; through?: unknown };
    try {
      ack = JSON.parse(payload.toString('utf8')) as typeof ack;
    } catch {
      this.log.warn({ bytes: payload.length }, 'ignoring an ack that is not JSON');
      return;
    }
    if (ack.stream !== this.stream || !Number.isSafeInteger(ack.through)) return;
    const now = this.now();
    if (!retained) this.lastAliveMs = now;
    const through = ack.through as number;
    if (through > this.confirmed) {
      this.confirmed = through;
      this.lastProgressMs = now;
      // The next unconfirmed entry was sent before now; "now" suffices (no resend within resendAfterMs anyway).
      this.oldestUnconfirmedSentMs = this.window.through > through ? now : undefined;
      deleteThrough(this.store, through);
    }
  }

  /**
   * A live recorder that has not confirmed entries sent long ago, and has made no progress for as long, is
   * missing them (the broker lost them): put them back in the queue.
   */
  private checkResend(): void {
    if (!this.conn.connected || this.stopping) return;
    const now = this.now();
    const after = this.opts.ack.resendAfterMs;
    if (now - this.lastAliveMs > after || now - this.lastProgressMs <= after) return;
    const sentAt = this.oldestUnconfirmedSentMs;
    if (this.window.through <= this.confirmed || sentAt === undefined || now - sentAt <= after) return;
    this.flushMarks();
    const n = resendAfter(this.store, this.confirmed);
    this.counters.resentEntries += n;
    this.lastProgressMs = now;
    this.persistedThrough = this.confirmed;
    this.oldestUnconfirmedSentMs = undefined;
    // Batches still in flight no longer move the mark: it restarts from the entries queued again.
    this.window.restart(this.confirmed);
    this.cursor = Math.min(this.cursor, this.confirmed);
    this.log.warn(
      { fromSeq: this.confirmed + 1, entries: n },
      'recorder is missing entries the broker acknowledged; resending',
    );
    this.pump();
  }

  private checkCap(): void {
    if (!this.store.db.open) return;
    const cap = this.opts.outbox;
    const now = this.now();
    const maxAgeMs = cap.maxAgeHours * 3_600_000;
    let stats = outboxStats(this.store);
    const over = () =>
      stats.entries > cap.maxEntries ||
      (stats.oldestCreatedMs !== null && now - stats.oldestCreatedMs > maxAgeMs);
    let reason: string | null = null;
    if (over()) {
      if (cap.onExceed === 'drop-oldest') {
        const dropped = dropOldest(this.store, cap.maxEntries, now - maxAgeMs);
        this.counters.droppedEntries += dropped;
        this.log.warn(
          { dropped, maxEntries: cap.maxEntries, maxAgeHours: cap.maxAgeHours },
          'outbox over its cap: dropped the oldest entries (they will never reach the recorder)',
        );
        stats = outboxStats(this.store);
      } else {
        reason = `outbox holds ${stats.entries} entries, oldest ${Math.round((now - (stats.oldestCreatedMs ?? now)) / 60_000)} min (cap ${cap.maxEntries} entries / ${cap.maxAgeHours} h)`;
      }
    }
    if (!reason && this.counters.droppedEntries > 0) {
      reason = `${this.counters.droppedEntries} outbox entries dropped by the cap policy`;
    }
    this.setAlarm(reason, now);
  }

  private setAlarm(reason: string | null, now: number): void {
    const was = this.alarmState.active;
    if (reason) {
      this.alarmState = { active: true, reason, sinceMs: was ? this.alarmState.sinceMs : now };
      if (!was) this.log.warn({ alarm: reason }, 'sync alarm raised');
    } else {
      this.alarmState = { active: false, reason: null, sinceMs: null };
      if (was) this.log.info('sync alarm cleared');
    }
  }

  get isConnected(): boolean {
    return this.conn.connected;
  }

  /** The sent mark as stored: every entry up to it was acknowledged by the broker (PUBACK). */
  get sentThrough(): number {
    return this.persistedThrough;
  }

  /** Gauge values (for metrics exporters). */
  metrics(): Record<string, number> {
    const s = outboxStats(this.store);
    return {
      connected: this.conn.connected ? 1 : 0,
      backlogEntries: s.entries,
      unsentEntries: s.unsent,
      oldestEntryAgeSeconds: s.oldestCreatedMs === null ? 0 : (this.now() - s.oldestCreatedMs) / 1000,
      lastSeq: s.lastSeq,
      confirmedThrough: this.confirmed,
      alarm: this.alarmState.active ? 1 : 0,
      inflightWindow: this.windowSize,
      peakInflight: this.peakInflight,
      ...this.counters,
    };
  }

  alarm(): SyncAlarm {
    return { ...this.alarmState };
  }

  status(): SyncStatus {
    const s = outboxStats(this.store);
    return {
      gatewayId: this.opts.gatewayId,
      broker: safeUrl(this.opts.connection.url),
      connected: this.conn.connected,
      stream: this.stream,
      backlog: {
        entries: s.entries,
        unsent: s.unsent,
        oldestAgeSeconds:
          s.oldestCreatedMs === null ? null : Math.round((this.now() - s.oldestCreatedMs) / 1000),
      },
      lastSeq: s.lastSeq,
      confirmedThrough: this.confirmed,
      counters: { ...this.counters },
      lastError: this.lastError,
      alarm: this.alarm(),
    };
  }
}
