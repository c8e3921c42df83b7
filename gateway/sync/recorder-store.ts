// The port through which the recorder's consumer writes: applying one batch, parking what cannot be applied,
// reading a stream's progress. Two implementations: SQLite (sqlite-recorder.ts, a small recorder in one process)
// and PostgreSQL (gateway/store/postgres/inbox.ts, a fleet of consumers over one database). Both apply the rules
// of gateway/store/apply-rules.ts; the batch arrives as rows (no wire format), device keys and patients already
// namespaced by gateway (inbox-batch.ts).
import type { StreamProgress } from '../store/apply-rules.ts';
import type { ResourceRow } from '../store/resources.ts';

export type { StreamProgress } from '../store/apply-rules.ts';

/** A resource version to apply, and (only computed when parked) the entry as the hub sent it. */
export interface InboxResource {
  row: ResourceRow;
  payload(): Buffer;
}

/** An assignment change: a version 2 period, or a version 1 assignment (no period; null = unassigned). */
export type InboxAssignment =
  | { kind: 'period'; device: string; patient: string; from: number; until: number | null; at: number }
  | { kind: 'v1'; device: string; patient: string | null; seq: number; at: number };

export interface InboxBatch {
  /** Where it came from: named in parked rows. */
  topic: string;
  gw: string;
  stream: string;
  from: number;
  to: number;
  floor: number;
  /** The gateway's device-key prefix: a resource id another gateway owns is refused. */
  namespace: string;
  /** In entry order; resources and assignments touch different tables, so only the order within each counts. */
  resources: InboxResource[];
  assignments: InboxAssignment[];
}

export interface InboxOutcome {
  /** The batch's whole range was applied before: nothing else was done. */
  duplicate: boolean;
  written: number;
  olderOrSame: number;
  /** Resources refused (another gateway owns the id), parked in the batch's transaction. */
  conflicts: Array<{ reason: string; payload: Buffer }>;
}

export interface RecorderStore {
  readonly kind: 'sqlite' | 'postgres';
  /** False once closed: the consumer then stops reading progress. */
  readonly open: boolean;
  /** Applies a batch in one transaction (docs/mqtt.md, "Applying a batch"); throws only when the store fails. */
  applyBatch(batch: InboxBatch, nowMs: number): Promise<InboxOutcome>;
  /** Keeps a payload that cannot be applied (table sync_parked). */
  park(topic: string, reason: string, payload: Buffer, nowMs: number): Promise<void>;
  progress(gw: string, stream: string): Promise<StreamProgress>;
}
