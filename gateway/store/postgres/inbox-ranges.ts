// Applied sequence ranges and stream floors on PostgreSQL (the SQLite twin: gateway/store/sync-inbox.ts). The
// merge rules are apply-rules.ts'; the caller holds the gateway's lock (inbox.ts), so reading the ranges near a
// batch and replacing them by their merge is not raced by another consumer.
import type pg from 'pg';
import { mergedRange, progressOf, touching, type SeqRange, type StreamProgress } from '../apply-rules.ts';

type Queryable = pg.Pool | pg.PoolClient;

/** The applied ranges of a gateway stream that could cover or touch [from, to]. */
export async function rangesNear(
  c: Queryable,
  gw: string,
  stream: string,
  from: number,
  to: number,
): Promise<SeqRange[]> {
  const res = await c.query<{ seq_from: number; seq_to: number }>(
    `SELECT seq_from, seq_to FROM sync_ranges
     WHERE gateway_id = $1 AND stream = $2 AND seq_to >= $3 AND seq_from <= $4`,
    [gw, stream, from - 1, to + 1],
  );
  return res.rows.map((r) => [r.seq_from, r.seq_to] as const);
}

/** Records [from, to] as applied, replacing the ranges it touches (`near`, read in this transaction). */
export async function addAppliedRange(
  c: pg.PoolClient,
  gw: string,
  stream: string,
  from: number,
  to: number,
  near: readonly SeqRange[],
): Promise<void> {
  const merged = touching(near, from, to);
  const [lo, hi] = mergedRange(merged, from, to);
  if (merged.length) {
    await c.query(
      'DELETE FROM sync_ranges WHERE gateway_id = $1 AND stream = $2 AND seq_from = ANY($3::bigint[])',
      [gw, stream, merged.map(([a]) => a)],
    );
  }
  await c.query('INSERT INTO sync_ranges (gateway_id, stream, seq_from, seq_to) VALUES ($1, $2, $3, $4)', [
    gw,
    stream,
    lo,
    hi,
  ]);
}

/** Remembers the gateway's floor (lowest sequence it still holds) and when it was last heard. */
export async function noteStream(
  c: pg.PoolClient,
  gw: string,
  stream: string,
  floor: number,
  nowMs: number,
): Promise<void> {
  await c.query(
    `INSERT INTO sync_streams (gateway_id, stream, floor, last_batch_ms) VALUES ($1, $2, $3, $4)
     ON CONFLICT (gateway_id, stream) DO UPDATE SET floor = greatest(sync_streams.floor, excluded.floor),
       last_batch_ms = excluded.last_batch_ms`,
    [gw, stream, floor, nowMs],
  );
}

export async function appliedRanges(
  c: Queryable,
  gw: string,
  stream: string,
): Promise<Array<[number, number]>> {
  const res = await c.query<{ seq_from: number; seq_to: number }>(
    'SELECT seq_from, seq_to FROM sync_ranges WHERE gateway_id = $1 AND stream = $2 ORDER BY seq_from',
    [gw, stream],
  );
  return res.rows.map((r) => [r.seq_from, r.seq_to]);
}

export async function streamProgress(c: Queryable, gw: string, stream: string): Promise<StreamProgress> {
  const res = await c.query<{ floor: number }>(
    'SELECT floor FROM sync_streams WHERE gateway_id = $1 AND stream = $2',
    [gw, stream],
  );
  return progressOf(res.rows[0]?.floor ?? 1, await appliedRanges(c, gw, stream));
}
