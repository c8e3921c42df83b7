// The recorder port (gateway/sync/recorder-store.ts) on PostgreSQL, for several consumer processes over one
// database. Concurrency: one transaction per batch, which first takes a transaction-scoped advisory lock on
// its gateway (pg_advisory_xact_lock of a hash of the gateway id). Batches of one hub are thereby applied one
// after the other, whichever consumer holds them, and each reads what the one before committed (READ
// COMMITTED); batches of different hubs run in parallel. Every rule is apply-rules.ts', exactly as on SQLite;
// unique constraints (resources, history, periods, ranges) stand behind the lock. A batch's lock is released by
// COMMIT or ROLLBACK, also when the consumer dies (its connection closes).
import type pg from 'pg';
import { rangeCovered } from '../apply-rules.ts';
import type { InboxBatch, InboxOutcome, RecorderStore, StreamProgress } from '../../sync/recorder-store.ts';
import { applyAssignmentChange } from './inbox-assignments.ts';
import { addAppliedRange, noteStream, rangesNear, streamProgress } from './inbox-ranges.ts';
import { applyResources } from './inbox-resources.ts';
import { inTransaction } from './transaction.ts';

/** Serializes the batches of one gateway across consumers. Hash collisions only serialize more. */
async function lockGateway(c: pg.PoolClient, gw: string): Promise<void> {
  await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`hddt-inbox/${gw}`]);
}

async function applyInTransaction(c: pg.PoolClient, b: InboxBatch, nowMs: number): Promise<InboxOutcome> {
  await lockGateway(c, b.gw);
  await noteStream(c, b.gw, b.stream, b.floor, nowMs);
  const near = await rangesNear(c, b.gw, b.stream, b.from, b.to);
  if (rangeCovered(near, b.from, b.to)) return { duplicate: true, written: 0, olderOrSame: 0, conflicts: [] };
  const out = await applyResources(c, b, nowMs);
  for (const a of b.assignments) await applyAssignmentChange(c, b.stream, a);
  await addAppliedRange(c, b.gw, b.stream, b.from, b.to, near);
  return { duplicate: false, ...out };
}

export class PgInbox implements RecorderStore {
  readonly kind = 'postgres';
  private closed = false;
  private readonly pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  get open(): boolean {
    return !this.closed;
  }

  applyBatch(b: InboxBatch, nowMs: number): Promise<InboxOutcome> {
    return inTransaction(this.pool, (c) => applyInTransaction(c, b, nowMs));
  }

  async park(topic: string, reason: string, payload: Buffer, nowMs: number): Promise<void> {
    await this.pool.query(
      'INSERT INTO sync_parked (received_ms, topic, reason, payload) VALUES ($1, $2, $3, $4)',
      [nowMs, topic, reason, payload],
    );
  }

  progress(gw: string, stream: string): Promise<StreamProgress> {
    return streamProgress(this.pool, gw, stream);
  }

  /** Marks the port closed (the pool is its owner's to end: pg-store.ts). */
  markClosed(): void {
    this.closed = true;
  }
}
