// CGM summary metrics (HL7 CGM IG / international consensus on time in ranges): pure functions over
// samples in mg/dL. Samples outside the sensor's range (L/U) count at their limit value, so they land in
// the very-low / very-high ranges and pull the mean the way the sensor reported them.
import { MGDL_PER_MMOLL } from './codes.ts';

export interface CgmSample {
  /** Measurement time, epoch ms. */
  t: number;
  /** Glucose in mg/dL (for L/U: the sensor limit). */
  mgdl: number;
}

export interface TimesInRanges {
  /** < 54 mg/dL */
  veryLow: number;
  /** 54–69 mg/dL */
  low: number;
  /** 70–180 mg/dL */
  target: number;
  /** 181–250 mg/dL */
  high: number;
  /** > 250 mg/dL */
  veryHigh: number;
}

export interface CgmMetrics {
  count: number;
  meanMgdl: number;
  meanMmoll: number;
  /** Population standard deviation, mg/dL. */
  sdMgdl: number;
  /** Coefficient of variation, % (SD / mean). */
  cvPercent: number;
  /** Glucose management indicator, % (3.31 + 0.02392 × mean mg/dL). */
  gmiPercent: number;
  /** Percent of samples per range. */
  timesInRanges: TimesInRanges;
  /**
   * Days of the reporting period with at least one sample, its days being the 24-hour spans from its start
   * (the last one shorter if the period is not whole days). So never more than the period has: calendar days
   * would give a 7-day period that starts at 10:00 eight days of wear, and one across a DST change too.
   */
  daysOfWear: number;
  /** Samples received / samples expected over the period at the sampling interval, %, at most 100. */
  sensorActivePercent: number;
}

export interface MetricsInput {
  samples: readonly CgmSample[];
  fromMs: number;
  toMs: number;
  /** Sampling interval of the sensor, ms. */
  intervalMs: number;
}

const DAY = 86_400_000;

export const round = (x: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** The range of one value, on the consensus cut points (values between bands, like 69.5, go by < 70 / ≤ 180). */
export function rangeOf(mgdl: number): keyof TimesInRanges {
  if (mgdl < 54) return 'veryLow';
  if (mgdl < 70) return 'low';
  if (mgdl <= 180) return 'target';
  if (mgdl <= 250) return 'high';
  return 'veryHigh';
}

/** Metrics over the samples in [fromMs, toMs); undefined when there is no sample at all. */
export function cgmMetrics(input: MetricsInput): CgmMetrics | undefined {
  const samples = input.samples.filter((s) => s.t >= input.fromMs && s.t < input.toMs);
  const n = samples.length;
  if (n === 0) return undefined;
  let sum = 0;
  for (const s of samples) sum += s.mgdl;
  const mean = sum / n;
  let sq = 0;
  for (const s of samples) sq += (s.mgdl - mean) ** 2;
  const sd = Math.sqrt(sq / n);
  const counts: TimesInRanges = { veryLow: 0, low: 0, target: 0, high: 0, veryHigh: 0 };
  for (const s of samples) counts[rangeOf(s.mgdl)]++;
  const pct = (c: number) => round((c / n) * 100, 1);
  const days = new Set<number>();
  for (const s of samples) days.add(Math.floor((s.t - input.fromMs) / DAY));
  const expected = Math.max(1, Math.floor((input.toMs - input.fromMs) / input.intervalMs));
  return {
    count: n,
    meanMgdl: round(mean, 1),
    meanMmoll: round(mean / MGDL_PER_MMOLL, 1),
    sdMgdl: round(sd, 1),
    cvPercent: round((sd / mean) * 100, 1),
    gmiPercent: round(3.31 + 0.02392 * mean, 1),
    timesInRanges: {
      veryLow: pct(counts.veryLow),
      low: pct(counts.low),
      target: pct(counts.target),
      high: pct(counts.high),
      veryHigh: pct(counts.veryHigh),
    },
    daysOfWear: days.size,
    sensorActivePercent: round(Math.min(100, (n / expected) * 100), 1),
  };
}

/** What a CGM chunk Observation's valueSampledData holds, decoded to mg/dL samples. */
export interface SampledData {
  origin: { value?: number; code?: string };
  period: number;
  factor?: number;
  lowerLimit?: number;
  upperLimit?: number;
  data?: string;
}

/** One slot of a chunk: its time, its value in mg/dL (null when none) and its mark (`L`/`U`/`E`, else null). */
export interface CgmSlot {
  t: number;
  mgdl: number | null;
  mark: 'L' | 'U' | 'E' | null;
}

/**
 * Every slot of one chunk: slot i is at start + i·period; `L`/`U` carry the lower/upper limit as their value
 * (null when the chunk gives none), `E` and unreadable tokens have none. mmol/L chunks are converted to mg/dL.
 */
export function decodeSlots(startMs: number, sd: SampledData): CgmSlot[] {
  if (!sd.data || !(sd.period > 0)) return [];
  const toMgdl = sd.origin.code === 'mmol/L' ? MGDL_PER_MMOLL : 1;
  const origin = sd.origin.value ?? 0;
  const factor = sd.factor ?? 1;
  const mg = (v: number | undefined) => (v === undefined ? null : v * toMgdl);
  return sd.data.split(' ').map((tok, i): CgmSlot => {
    const t = startMs + i * sd.period;
    if (tok === 'L') return { t, mgdl: mg(sd.lowerLimit), mark: 'L' };
    if (tok === 'U') return { t, mgdl: mg(sd.upperLimit), mark: 'U' };
    const x = tok === 'E' || tok === '' ? NaN : Number(tok);
    return Number.isFinite(x)
      ? { t, mgdl: mg(origin + x * factor), mark: null }
      : { t, mgdl: null, mark: 'E' };
  });
}

/** The samples of one chunk: its slots with a value (`E` skipped, `L`/`U` at the lower/upper limit). */
export function decodeSampledData(startMs: number, sd: SampledData): CgmSample[] {
  const out: CgmSample[] = [];
  for (const s of decodeSlots(startMs, sd)) if (s.mgdl !== null) out.push({ t: s.t, mgdl: s.mgdl });
  return out;
}

/** A stored CGM chunk Observation: its start and its JSON. */
export interface ChunkRecord {
  effective_start_ms: number | null;
  json: string;
}

export interface ChunkSamples {
  samples: CgmSample[];
  /** The sampling period most samples were taken at (60 s when there is none). */
  intervalMs: number;
  /** The `device` references of the chunks that had samples. */
  deviceRefs: Set<string>;
}

/** The samples of CGM chunk Observations, as the summary metrics take them. */
export function samplesOfChunks(chunks: Iterable<ChunkRecord>): ChunkSamples {
  const samples: CgmSample[] = [];
  const periods = new Map<number, number>();
  const deviceRefs = new Set<string>();
  for (const row of chunks) {
    const obs = JSON.parse(row.json) as { valueSampledData?: SampledData; device?: { reference?: string } };
    const sd = obs.valueSampledData;
    if (!sd || row.effective_start_ms === null) continue;
    const decoded = decodeSampledData(row.effective_start_ms, sd);
    if (decoded.length === 0) continue;
    samples.push(...decoded);
    periods.set(sd.period, (periods.get(sd.period) ?? 0) + decoded.length);
    if (obs.device?.reference) deviceRefs.add(obs.device.reference);
  }
  const intervalMs = [...periods.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 60_000;
  return { samples, intervalMs, deviceRefs };
}
