// The outbox as the store's sink: every served-resource version and every assignment period is queued in the
// same transaction that made it, so a change is never stored without its outbox entry (or the other way
// round). Whoever opens the store with sync on gives it the sink (openGatewayStore), so the CLI's writers
// queue their changes as the running gateway does.
import { createHmac } from 'node:crypto';
import { markPeriodQueued, unqueuedPeriods, type AssignmentPeriod } from '../store/assignments.ts';
import { enqueueAssignment, enqueueResource, type PeriodEntry } from '../store/outbox.ts';
import { markResourceQueued, unqueuedResources } from '../store/resources.ts';
import type { OutboxSink, Store } from '../store/store.ts';

const SYNCED_TYPES = new Set(['Observation', 'Device', 'DeviceMetric']);

export interface OutboxWriterOptions {
  now?: () => number;
}

/**
 * The handle a patient is known by upstream: HMAC-SHA256 of the internal patient id under a secret that never
 * leaves the hub. Stable per hub, not reversible, not linkable across hubs.
 */
export function patientHandle(store: Store, patientId: string): string {
  return handleWith(store.secret(HANDLE_KEY, 32), patientId);
}

const HANDLE_KEY = 'sync-patient-handle-key';
const handleWith = (key: Buffer, patientId: string) =>
  createHmac('sha256', key).update(patientId).digest('hex').slice(0, 32);

/** The store's outbox sink with its wake-up hook (the publisher drains at once instead of at its next poll). */
export interface OutboxWriter extends OutboxSink {
  onQueued(listener: () => void): () => void;
}

/** Gives the store its outbox; returns the function that takes it away again. */
export function attachOutbox(store: Store, opts: OutboxWriterOptions = {}): () => void {
  store.outbox = createOutboxWriter(store, opts);
  return () => {
    store.outbox = undefined;
  };
}

export function createOutboxWriter(store: Store, opts: OutboxWriterOptions = {}): OutboxWriter {
  const now = opts.now ?? Date.now;
  // Made before the first change: creating it while queueing would be a write of its own.
  const key = store.secret(HANDLE_KEY, 32);
  const listeners: Array<() => void> = [];
  const queued = () => {
    for (const l of listeners) l();
  };
  return {
    resource(row) {
      if (!SYNCED_TYPES.has(row.type)) return;
      enqueueResource(store, row, now());
      markResourceQueued(store, row);
      queued();
    },
    period(p) {
      const nowMs = now();
      enqueueAssignment(store, periodEntry(key, p), nowMs, nowMs);
      queued();
    },
    onQueued(listener) {
      listeners.push(listener);
      return () => {
        const i = listeners.indexOf(listener);
        if (i >= 0) listeners.splice(i, 1);
      };
    },
  };
}

function periodEntry(key: Buffer, p: AssignmentPeriod): PeriodEntry {
  return {
    deviceKey: p.device_key,
    patientHandle: handleWith(key, p.patient_id),
    fromMs: p.from_ms,
    untilMs: p.until_ms,
  };
}

/**
 * Queues every change the outbox never got: resource versions and assignment periods written by an earlier
 * version of the gateway, by a writer with sync off, or before sync was switched on (a hub that measured
 * before it was connected uploads its history). In transactions of `batch` changes; returns how many.
 */
export function queueUnqueued(store: Store, opts: OutboxWriterOptions & { batch?: number } = {}): number {
  const now = opts.now ?? Date.now;
  const batch = opts.batch ?? 500;
  const key = store.secret(HANDLE_KEY, 32);
  let total = store.transaction(() => {
    const periods = unqueuedPeriods(store);
    for (const p of periods) {
      const nowMs = now();
      enqueueAssignment(store, periodEntry(key, p), nowMs, nowMs);
      markPeriodQueued(store, p);
    }
    return periods.length;
  });
  for (;;) {
    const n = store.transaction(() => {
      const rows = unqueuedResources(store, batch);
      for (const row of rows) {
        enqueueResource(store, row, now());
        markResourceQueued(store, row);
      }
      return rows.length;
    });
    total += n;
    if (n < batch) return total;
  }
}

/** Random id of this database's outbox sequence: a replaced database starts a new stream. */
export function outboxStream(store: Store): string {
  return store.secret('sync-stream-id', 8).toString('hex');
}
