// The ambulatory glucose profile (AGP) as pure functions: samples folded onto one day by local time of day,
// binned, and the 5th, 25th, 50th, 75th and 95th percentile of each bin. The operator status page and the
// patient's readings page both draw it from here.

/** The consensus target range of AGP reports, mg/dL. */
export const TARGET_RANGE = { low: 70, high: 180 } as const;

export interface GlucoseSample {
  atMs: number;
  mgdl: number;
}

/**
 * The p-th percentile (0–100) of ascending `sorted` values with linear interpolation between closest ranks
 * (Hyndman & Fan type 7, the default of R and NumPy). Throws on an empty list or p outside 0–100.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of an empty list');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} outside 0-100`);
  const h = (sorted.length - 1) * (p / 100);
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Minutes since local midnight in `timeZone` (0–1439), as a function of the time (one formatter per call). */
export function minuteClock(timeZone: string): (atMs: number) => number {
  const f = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  return (atMs) => {
    let hour = 0;
    let minute = 0;
    for (const part of f.formatToParts(atMs)) {
      if (part.type === 'hour') hour = Number(part.value);
      else if (part.type === 'minute') minute = Number(part.value);
    }
    return hour * 60 + minute;
  };
}

/** Minutes since local midnight in `timeZone` (0–1439). */
export function minuteOfDay(atMs: number, timeZone: string): number {
  return minuteClock(timeZone)(atMs);
}

export interface AgpBin {
  /** First minute of the day this bin covers. */
  startMinute: number;
  count: number;
  /** Percentiles in mg/dL, or null when the bin holds fewer than `minPerBin` samples. */
  p5: number | null;
  p25: number | null;
  p50: number | null;
  p75: number | null;
  p95: number | null;
}

export interface AgpProfile {
  binMinutes: number;
  bins: AgpBin[];
  samples: number;
  /** Share of samples below 70, within 70–180 and above 180 mg/dL (0–1); null without samples. */
  timeInRange: { below: number; within: number; above: number } | null;
}

export interface AgpOptions {
  /** Bin width in minutes; must divide 1440 (default 15 → 96 bins). */
  binMinutes?: number;
  /** Zone whose clock defines "time of day" (the patient's). */
  timeZone: string;
  /** Bins with fewer samples get no percentiles (default 5). */
  minPerBin?: number;
}

function agpBin(values: number[], startMinute: number, minPerBin: number): AgpBin {
  const enough = values.length >= minPerBin && values.length > 0;
  const sorted = enough ? [...values].sort((a, b) => a - b) : [];
  const q = (p: number) => (enough ? percentile(sorted, p) : null);
  return { startMinute, count: values.length, p5: q(5), p25: q(25), p50: q(50), p75: q(75), p95: q(95) };
}

/** The AGP of `samples`, taken as given (the caller picks the 14-day window). */
export function agpProfile(samples: readonly GlucoseSample[], opts: AgpOptions): AgpProfile {
  const binMinutes = opts.binMinutes ?? 15;
  if (!Number.isInteger(binMinutes) || binMinutes <= 0 || 1440 % binMinutes !== 0) {
    throw new RangeError(`binMinutes ${binMinutes} must be a whole divisor of 1440`);
  }
  const minPerBin = opts.minPerBin ?? 5;
  const values: number[][] = Array.from({ length: 1440 / binMinutes }, () => []);
  let below = 0;
  let within = 0;
  let above = 0;
  const minuteOf = minuteClock(opts.timeZone);
  for (const s of samples) {
    values[Math.floor(minuteOf(s.atMs) / binMinutes)].push(s.mgdl);
    if (s.mgdl < TARGET_RANGE.low) below++;
    else if (s.mgdl > TARGET_RANGE.high) above++;
    else within++;
  }
  const total = samples.length;
  return {
    binMinutes,
    bins: values.map((v, i) => agpBin(v, i * binMinutes, minPerBin)),
    samples: total,
    timeInRange: total === 0 ? null : { below: below / total, within: within / total, above: above / total },
  };
}
