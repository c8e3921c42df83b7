// Faults a simulated sensor can show on demand: a link that drops in the middle of a RACP transfer,
// records with a wrong E2E-CRC, malformed notifications, and firmware that stops answering.

export interface Faults {
  /** During a RACP report, drop the link after this many records (no response indication follows). */
  readonly dropLinkAfterRecords: number | null;
  /** How many reports the drop applies to; null = every report. Counts down as it fires (0 = used up). */
  readonly dropLinkTimes: number | null;
  /** (CGM with E2E-CRC) the Nth, 2Nth, ... record of each transfer, and every Nth live record, gets a wrong CRC. */
  readonly corruptCrcEvery: number | null;
  /** A malformed notification goes out before the Nth, 2Nth, ... record of each transfer. */
  readonly malformedEvery: number | null;
  /** The ATT server stops answering requests; the link stays up. */
  readonly unresponsive: boolean;
  /** (Glucose meter) after the Nth link ends, the memory is cleared and the sequence starts over (battery change). */
  readonly resetSequenceAfterLinks: number | null;
}

export type FaultsInput = { readonly [K in keyof Faults]?: Faults[K] | null };

export const NO_FAULTS: Faults = {
  dropLinkAfterRecords: null,
  dropLinkTimes: null,
  corruptCrcEvery: null,
  malformedEvery: null,
  unresponsive: false,
  resetSequenceAfterLinks: null,
};

function positiveOrNull(name: string, v: number | null | undefined, min: number): number | null {
  if (v === null || v === undefined) return null;
  if (!Number.isInteger(v) || v < min)
    throw new RangeError(`fault ${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

/** Merges `input` into `current`; a field set to null is cleared. Throws RangeError for bad values. */
export function mergeFaults(current: Faults, input: FaultsInput): Faults {
  const pick = <K extends keyof Faults>(k: K): Faults[K] | null | undefined =>
    k in input ? input[k] : current[k];
  return {
    dropLinkAfterRecords: positiveOrNull('dropLinkAfterRecords', pick('dropLinkAfterRecords'), 0),
    dropLinkTimes: positiveOrNull('dropLinkTimes', pick('dropLinkTimes'), 0),
    corruptCrcEvery: positiveOrNull('corruptCrcEvery', pick('corruptCrcEvery'), 1),
    malformedEvery: positiveOrNull('malformedEvery', pick('malformedEvery'), 1),
    unresponsive: pick('unresponsive') === true,
    resetSequenceAfterLinks: positiveOrNull('resetSequenceAfterLinks', pick('resetSequenceAfterLinks'), 1),
  };
}

/** Every Nth (1-based) position, for N set. */
export function isEveryNth(position: number, n: number | null): boolean {
  return n !== null && position % n === 0;
}

/** A copy of a value ending in an E2E-CRC with that CRC made wrong. */
export function corruptTrailingCrc(bytes: Uint8Array): Buffer {
  const out = Buffer.from(bytes);
  out[out.length - 1] ^= 0xa5;
  return out;
}
