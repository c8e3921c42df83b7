// Makes the next message of the drain: the stored wire bytes of the entries joined by the store when they all
// have them in the publisher's format and fit maxBatchBytes, else encoded from their columns (same bytes).
import { nextJoinedEntries, nextUnsent, outboxFloor, type OutboxRow } from '../store/outbox.ts';
import type { Store } from '../store/store.ts';
import {
  ENTRY_JOIN,
  encodeBatch,
  batchHeadRoom,
  frameBatchOfEntries,
  type BatchHeader,
  type PayloadFormat,
} from './payload.ts';

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
  const { format, batchSize, maxBatchBytes } = limits;
  // `floor`: the lowest sequence number the outbox still holds.
  const header = (floor: number): BatchHeader => ({
    gw: sender.gw,
    stream: sender.stream,
    floor,
    sentAt: sender.now(),
  });
  // Room for the batch head before the entries: it is written there, in the buffer SQLite returned.
  const room = batchHeadRoom(sender, format);
  const joined = nextJoinedEntries(store, afterSeq, batchSize, format, { ...ENTRY_JOIN[format], room });
  if (joined.status === 'empty') return undefined;
  if (joined.status === 'joined' && (joined.bytes.length <= maxBatchBytes || joined.count === 1)) {
    const { from, to, count } = joined;
    const payload = frameBatchOfEntries(header(joined.floor), joined, format);
    return { from, to, count, payload };
  }
  const rows = cut(nextUnsent(store, afterSeq, batchSize), maxBatchBytes);
  if (rows.length === 0) return undefined;
  return {
    from: rows[0].seq,
    to: rows[rows.length - 1].seq,
    count: rows.length,
    payload: encodeBatch(header(outboxFloor(store)), rows, format),
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
