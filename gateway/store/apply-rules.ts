// The recorder's apply rules (docs/mqtt.md, "Applying a batch"), as pure functions over what a store read: which
// resource version wins and what goes to history, how assignment periods open and close in any arrival order, how
// applied sequence ranges merge and what progress they prove. A store (gateway/store/sync-inbox.ts) reads, asks
// these functions and writes what they say, so a second store kind applies the very same rules.

export type ApplyOutcome = 'written' | 'older' | 'same' | 'conflict';

/** Earlier versions of these types stay readable (vread); Observations keep only their current version. */
export const VERSIONED_IN_HISTORY: ReadonlySet<string> = new Set(['Device', 'DeviceMetric']);

export interface StoredVersion {
  version: number;
  device_key: string;
}

export interface ResourceDecision {
  outcome: ApplyOutcome;
  /** An older version of a versioned type: keep it in history. */
  historyOfIncoming: boolean;
  /** A newer version replaces a versioned resource: the stored one moves to history. */
  historyOfCurrent: boolean;
}

/**
 * A resource version from a hub is written only when it is newer than the stored one; an id already owned by
 * another gateway (`namespace`: the owner's device-key prefix) is never overwritten.
 */
export function decideResource(
  current: StoredVersion | undefined,
  incoming: { type: string; version: number },
  namespace: string,
): ResourceDecision {
  const versioned = VERSIONED_IN_HISTORY.has(incoming.type);
  if (current && !current.device_key.startsWith(namespace)) {
    return { outcome: 'conflict', historyOfIncoming: false, historyOfCurrent: false };
  }
  if (!current) return { outcome: 'written', historyOfIncoming: false, historyOfCurrent: false };
  if (current.version === incoming.version) {
    return { outcome: 'same', historyOfIncoming: false, historyOfCurrent: false };
  }
  if (current.version > incoming.version) {
    return { outcome: 'older', historyOfIncoming: versioned, historyOfCurrent: false };
  }
  return { outcome: 'written', historyOfIncoming: false, historyOfCurrent: versioned };
}

export type SeqRange = readonly [from: number, to: number];

/** True when one applied range holds every sequence of [from, to]. */
export function rangeCovered(ranges: readonly SeqRange[], from: number, to: number): boolean {
  return ranges.some(([a, b]) => a <= from && b >= to);
}

/** The ranges a new range [from, to] merges with: those overlapping or touching it. */
export function touching(ranges: readonly SeqRange[], from: number, to: number): SeqRange[] {
  return ranges.filter(([a, b]) => b >= from - 1 && a <= to + 1);
}

/** [from, to] merged with the ranges it touches (which the store replaces by the result). */
export function mergedRange(touchingRanges: readonly SeqRange[], from: number, to: number): SeqRange {
  let lo = from;
  let hi = to;
  for (const [a, b] of touchingRanges) {
    lo = Math.min(lo, a);
    hi = Math.max(hi, b);
  }
  return [lo, hi];
}

export interface StreamProgress {
  /** Everything up to here is applied, or was dropped by the gateway (below its floor). */
  through: number;
  /** Highest sequence applied. */
  max: number;
}

/** Progress of a stream from its floor (1 when unknown) and its merged applied ranges. */
export function progressOf(floor: number, ranges: readonly SeqRange[]): StreamProgress {
  let through = floor - 1;
  let max = 0;
  for (const [a, b] of ranges) {
    if (a <= floor && b >= floor - 1) through = Math.max(through, b);
    max = Math.max(max, b);
  }
  return { through, max };
}

export interface StoredPeriod {
  id: number;
  patient_id: string;
  from_ms: number;
  until_ms: number | null;
}

export type PeriodOp =
  | { op: 'close'; id: number; until: number }
  | { op: 'insert'; patient: string; from: number; until: number | null };

/**
 * A period a hub sent (payload version 2), against the device's stored periods: created once, a closing only
 * ever moves its end earlier; a device keeps one open period, so an earlier open one ends where this one starts,
 * and this one ends where a later one starts (its own closing may arrive later or never).
 */
export function planPeriod(
  periods: readonly StoredPeriod[],
  patient: string,
  from: number,
  until: number | null,
): PeriodOp[] {
  const existing = periods.find((p) => p.patient_id === patient && p.from_ms === from);
  if (existing) {
    const earlier = until !== null && (existing.until_ms === null || until < existing.until_ms);
    return earlier ? [{ op: 'close', id: existing.id, until: until as number }] : [];
  }
  if (until !== null) return [{ op: 'insert', patient, from, until }];
  const ops: PeriodOp[] = periods
    .filter((p) => p.until_ms === null && p.from_ms < from)
    .map((p) => ({ op: 'close', id: p.id, until: from }));
  const later = periods.filter((p) => p.from_ms >= from).map((p) => p.from_ms);
  ops.push({ op: 'insert', patient, from, until: later.length ? Math.min(...later) : null });
  return ops;
}

/** The last version 1 assignment applied for a device. */
export interface LastAssignment {
  stream: string;
  seq: number;
  at_ms: number;
}

/**
 * A version 1 assignment (no period): applied only when later than the last one applied for the device (by
 * sequence within a stream, by time across streams). It ends the open period at `at`; a patient opens one from
 * then on (from the start of the device's history when the device had no period yet). `ensurePatient` lists
 * the patient the ops need. Null when the assignment is stale.
 */
export function planAssignmentV1(
  last: LastAssignment | undefined,
  periods: readonly StoredPeriod[],
  patient: string | null,
  stream: string,
  seq: number,
  at: number,
): PeriodOp[] | null {
  if (last && (last.stream === stream ? last.seq >= seq : last.at_ms > at)) return null;
  const open = periods.find((p) => p.until_ms === null);
  if (open && open.patient_id === patient) return [];
  const ops: PeriodOp[] = [];
  let after = periods;
  if (open) {
    const until = Math.max(at, open.from_ms);
    ops.push({ op: 'close', id: open.id, until });
    after = periods.map((p) => (p.id === open.id ? { ...p, until_ms: until } : p));
  }
  if (patient === null) return ops;
  return [...ops, ...planPeriod(after, patient, periods.length > 0 ? at : 0, null)];
}
