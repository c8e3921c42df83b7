// Hooks the outbox into the store: every served-resource change and every device assignment is queued in the
// same transaction that made it, so a change is never stored without its outbox entry (or the other way round).
import { createHmac } from 'node:crypto';
import { enqueueAssignment, enqueueResource } from '../store/outbox.ts';
import type { Store, StoreChange } from '../store/store.ts';

const SYNCED_TYPES = new Set(['Observation', 'Device', 'DeviceMetric']);

export interface OutboxWriterOptions {
  /** Called after a change was queued (runs inside the transaction: only schedule work here). */
  onEnqueue?: () => void;
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

/** Registers the outbox listener; returns the function that removes it. */
export function attachOutbox(store: Store, opts: OutboxWriterOptions = {}): () => void {
  const now = opts.now ?? Date.now;
  // Made before the first change: creating it inside a listener would be a write of its own.
  const key = store.secret(HANDLE_KEY, 32);
  return store.onChange((change: StoreChange) => {
    if (change.kind === 'resource') {
      if (!SYNCED_TYPES.has(change.type)) return;
      enqueueResource(store, change, now());
    } else {
      const handle = change.patientId === null ? null : handleWith(key, change.patientId);
      enqueueAssignment(store, change.deviceKey, handle, change.atMs, now());
    }
    opts.onEnqueue?.();
  });
}

/** Random id of this database's outbox sequence: a replaced database starts a new stream. */
export function outboxStream(store: Store): string {
  return store.secret('sync-stream-id', 8).toString('hex');
}
