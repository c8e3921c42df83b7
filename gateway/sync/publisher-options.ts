// What the publisher is configured with (gateway/sync/from-config.ts builds it) and what it reports.
import type { Logger } from 'pino';
import type { BrokerConnection } from './connection.ts';
import type { PayloadFormat } from './payload.ts';

export interface CapPolicy {
  maxEntries: number;
  maxAgeHours: number;
  onExceed: 'keep-and-alarm' | 'drop-oldest';
}

export interface PublisherOptions {
  gatewayId: string;
  connection: BrokerConnection;
  topicPrefix: string;
  qos: 1 | 2;
  format: PayloadFormat;
  batchSize: number;
  maxBatchBytes: number;
  maxInflight: number;
  /** 0 = unlimited. */
  maxMessagesPerSecond: number;
  outbox: CapPolicy;
  ack: { enabled: boolean; resendAfterMs: number };
  /** How often to look for entries written by another process (default 1000 ms). */
  pollMs?: number;
  /** How often to check the cap policy (default 5000 ms). */
  capCheckMs?: number;
  now?: () => number;
  log?: Logger;
}

export interface SyncAlarm {
  active: boolean;
  reason: string | null;
  sinceMs: number | null;
}

/** What the operator status page shows about upward sync. */
export interface SyncStatus {
  gatewayId: string;
  broker: string;
  connected: boolean;
  stream: string;
  backlog: { entries: number; unsent: number; oldestAgeSeconds: number | null };
  lastSeq: number;
  confirmedThrough: number;
  counters: {
    messagesSent: number;
    entriesSent: number;
    connects: number;
    resentEntries: number;
    droppedEntries: number;
  };
  lastError: string | null;
  alarm: SyncAlarm;
}
