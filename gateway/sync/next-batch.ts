// Makes the next message of the drain: the unsent entries after the cursor, as rows, cut to maxBatchBytes and
// encoded in the publisher's format.
import { nextUnsent, outboxFloor, type OutboxRow } from '../store/outbox.ts';
import type { Store } from '../store/store.ts';
import { encodeBatch, type PayloadFormat } from './payload.ts';

/** A message ready to publish: entries from..to (`count` of them). */
export interface OutgoingBatch {
  from: number;
  to: number;
  count: number;
  payload: Buffer;
}

export interface BatchLimits {
  format: PayloadFormat;
  batchSize: number;
  maxBatchBytes: number;
}

/** Who sends the batches: the constant part of their header, and the clock for `sentAt`. */
export interface BatchSender {
  gw: string;
  stream: string;
  now: () => number;
}

/** The batch of unsent entries after `afterSeq`, or undefined when there is none. */
export function nextBatch(
  store: Store,
  afterSeq: number,
  limits: BatchLimits,
  sender: BatchSender,
): OutgoingBatch | undefined {
  const rows = cut(nextUnsent(store, afterSeq, limits.batchSize), limits.maxBatchBytes);
  if (rows.length === 0) return undefined;
  const header = { gw: sender.gw, stream: sender.stream, floor: outboxFloor(store), sentAt: sender.now() };
  return {
    from: rows[0].seq,
    to: rows[rows.length - 1].seq,
    count: rows.length,
    payload: encodeBatch(header, rows, limits.format),
  };
}

/** Keeps a batch under maxBatchBytes (always at least one entry). */
function cut(rows: OutboxRow[], maxBatchBytes: number): OutboxRow[] {
  let bytes = 0;
  for (let i = 0; i < rows.length; i++) {
    bytes += (rows[i].json?.length ?? 0) + 160;
    if (bytes > maxBatchBytes && i > 0) return rows.slice(0, i);
  }
  return rows;
}
