// Hooks the outbox into the store: every served-resource change and every device assignment is queued in the
// same transaction that made it, so a change is never stored without its outbox entry (or the other way round).
import { createHmac } from 'node:crypto';
import { enqueueAssignment, enqueueResource } from '../store/outbox.ts';
import type { ResourceRow } from '../store/resources.ts';
import type { Store, StoreChange } from '../store/store.ts';
import { encodeEntryHead, type EntryFields, type PayloadFormat } from './payload.ts';

const SYNCED_TYPES = new Set(['Observation', 'Device', 'DeviceMetric']);

export interface OutboxWriterOptions {
  /**
   * The payload format the publisher sends (default cbor): each entry is queued with its wire bytes in it, so
   * the drain joins stored bytes instead of encoding. Entries queued for another format are still sent, only
   * encoded again.
   */
  format?: PayloadFormat;
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
  const format = opts.format ?? 'cbor';
  return store.onChange((change: StoreChange) => {
    if (change.kind === 'resource') {
      const row = change.row;
      if (!SYNCED_TYPES.has(row.type)) return;
      enqueueResource(store, row, now(), {
        format,
        make: (seq) => encodeEntryHead(resourceEntry(seq, row), row.json, format),
      });
    } else {
      const handle = change.patientId === null ? null : handleWith(key, change.patientId);
      enqueueAssignment(store, change.deviceKey, handle, change.atMs, now(), {
        format,
        make: (seq) =>
          encodeEntryHead(assignmentEntry(seq, change.deviceKey, handle, change.atMs), null, format),
      });
    }
    opts.onEnqueue?.();
  });
}

function resourceEntry(seq: number, row: ResourceRow): EntryFields {
  return {
    seq,
    kind: 'resource',
    device_key: row.device_key,
    res_type: row.type,
    res_id: row.id,
    version: row.version,
    last_updated_ms: row.last_updated_ms,
    code: row.code,
    effective_start_ms: row.effective_start_ms,
    effective_end_ms: row.effective_end_ms,
    value: row.value,
    unit: row.unit,
    ref: row.ref,
    status: row.status,
    patient: null,
    at_ms: null,
  };
}

function assignmentEntry(seq: number, deviceKey: string, patient: string | null, atMs: number): EntryFields {
  return {
    seq,
    kind: 'assignment',
    device_key: deviceKey,
    res_type: null,
    res_id: null,
    version: null,
    last_updated_ms: null,
    code: null,
    effective_start_ms: null,
    effective_end_ms: null,
    value: null,
    unit: null,
    ref: null,
    status: null,
    patient,
    at_ms: atMs,
  };
}

/** Random id of this database's outbox sequence: a replaced database starts a new stream. */
export function outboxStream(store: Store): string {
  return store.secret('sync-stream-id', 8).toString('hex');
}
