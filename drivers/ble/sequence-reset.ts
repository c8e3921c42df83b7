// Glucose meters number their records 0..65535 and start again after a battery change or a factory reset. Such a
// "sequence reset" begins a new epoch: its records get identities and record numbers of their own, so record 1
// of the new epoch is neither taken for a duplicate of the old record 1 nor hidden below the last stored number.
// The epoch is kept in the store itself (record number = epoch × 65536 + sequence), so it survives restarts; the
// meter's fingerprint from the last visit (count, first and last record) is what a reset is detected against.
// Pure functions, no I/O.

export const EPOCH_SPAN = 0x10000;

/** A record by its sequence number and its user-facing time (the meter's wall clock, YYYY-MM-DDTHH:MM:SS). */
export interface RecordMark {
  seq: number;
  time: string;
}

/** What the meter's record store looked like at the last visit (null: the meter did not say). */
export interface MeterFingerprint {
  epoch: number;
  count: number | null;
  first: RecordMark | null;
  last: RecordMark | null;
  /** ISO time of the visit. */
  seenAt: string;
}

/** What the meter says now: Number of Stored Records, and the first and last record (RACP operators 05/06). */
export interface MeterProbe {
  count: number | null;
  first: RecordMark | null;
  last: RecordMark | null;
}

export type ResetReason = 'lower-highest-sequence' | 'new-first-record' | 'memory-cleared' | 'fewer-records';

export type ResetVerdict =
  | { reset: false }
  | { reset: true; reason: ResetReason; detail: string }
  /** Fewer records than before: only the record stored last can tell a reset from records deleted on the meter. */
  | { reset: 'check'; mark: RecordMark };

export function recordNumberOf(epoch: number, seq: number): number {
  return epoch * EPOCH_SPAN + seq;
}

export function splitRecordNumber(n: number): { epoch: number; seq: number } {
  return { epoch: Math.floor(n / EPOCH_SPAN), seq: n % EPOCH_SPAN };
}

/** `seq:<n>` in the first epoch (as before resets were detected), `seq:<n>@<epoch>` after. */
export function identityOf(epoch: number, seq: number): string {
  return epoch === 0 ? `seq:${seq}` : `seq:${seq}@${epoch}`;
}

/**
 * Where the sync stands: the epoch and the last sequence number stored in it (null: none yet, read all).
 * A fingerprint with a later epoch than the store means a reset was detected and nothing of it stored yet.
 */
export function currentPosition(
  lastRecordNumber: number | null,
  memo: MeterFingerprint | null,
): { epoch: number; lastSeq: number | null } {
  const stored = lastRecordNumber === null ? null : splitRecordNumber(lastRecordNumber);
  const memoEpoch = memo?.epoch ?? 0;
  if (stored === null || memoEpoch > stored.epoch) return { epoch: memoEpoch, lastSeq: null };
  return { epoch: stored.epoch, lastSeq: stored.seq };
}

/** Compares what the meter says now with what it held before. */
export function detectReset(
  probe: MeterProbe,
  lastSeq: number | null,
  memo: MeterFingerprint | null,
): ResetVerdict {
  if (probe.last && lastSeq !== null && probe.last.seq < lastSeq) {
    return {
      reset: true,
      reason: 'lower-highest-sequence',
      detail: `the meter's highest sequence is ${probe.last.seq}, below the ${lastSeq} stored`,
    };
  }
  const before = memo?.first;
  if (before && probe.first && probe.first.seq <= before.seq && probe.first.time !== before.time) {
    return {
      reset: true,
      reason: 'new-first-record',
      detail: `first record ${probe.first.seq} is from ${probe.first.time}; it was ${before.seq} from ${before.time}`,
    };
  }
  const hadRecords = lastSeq !== null || (memo?.count ?? 0) > 0;
  if (probe.count === 0 && hadRecords) {
    return { reset: true, reason: 'memory-cleared', detail: 'the meter holds no records any more' };
  }
  if (probe.count !== null && memo?.count != null && probe.count < memo.count && memo.last) {
    // Everything the meter holds is newer than what was stored: a reading from last + 1 gets it all.
    if (probe.first && probe.first.seq > memo.last.seq) return { reset: false };
    return { reset: 'check', mark: memo.last };
  }
  return { reset: false };
}

/** The record at the last stored sequence, read again: a different time means the numbering started over. */
export function confirmFewer(
  mark: RecordMark,
  now: RecordMark | null,
  count: number,
  before: number,
): ResetVerdict {
  if (now && now.time !== mark.time) {
    return {
      reset: true,
      reason: 'fewer-records',
      detail: `${count} records (${before} before); record ${mark.seq} is now from ${now.time}, was ${mark.time}`,
    };
  }
  return { reset: false };
}
