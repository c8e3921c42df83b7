// HddtContinuousGlucoseMeasurement (§2.2, §2.5): one Observation per chunk, effectivePeriod with start and end,
// valueSampledData in the unit the LOINC code implies, data tokens that are numbers or E/L/U with every sample
// outside [lowerLimit, upperLimit] written as L or U, status final or preliminary, temp-unknown for an empty
// chunk. Across chunks: the chunks of one device do not overlap, and only a final chunk may be shorter.
import { defineChecks } from '../check.ts';
import type { FhirResource } from '../context.ts';
import { effectiveRange } from '../date-search.ts';
import { DATA_ABSENT_REASON, LOINC, MIV_CODES, mivOf, UCUM } from '../hddt-terms.ts';
import { codings, reference, rules } from './rule.ts';

const C = defineChecks('cgm', {
  effective: {
    section: '2.2',
    level: 'MUST',
    requirement:
      'a CGM chunk has effectivePeriod with start and end (end after start) and no other effective[x]',
  },
  sampledData: {
    section: '2.2',
    level: 'MUST',
    requirement:
      'it has valueSampledData with origin (system UCUM, code), period > 0, dimensions and data — unless the chunk is temp-unknown',
  },
  unit: {
    section: '2.5',
    level: 'MUST',
    requirement: 'valueSampledData.origin.code is the unit its LOINC code implies',
  },
  status: {
    section: '2.2',
    level: 'MUST',
    requirement: 'status is final or preliminary; a chunk without data (dataAbsentReason) is preliminary',
  },
  absentReason: {
    section: '2.2',
    level: 'MUST',
    requirement:
      'a dataAbsentReason is temp-unknown (data-absent-reason code system) and comes without valueSampledData',
  },
  tokens: {
    section: '2.2',
    level: 'MUST',
    requirement: 'data holds only decimals and the tokens E, L and U, separated by single spaces',
  },
  limits: {
    section: '2.2',
    level: 'MUST',
    requirement:
      'no numeric sample lies outside [lowerLimit, upperLimit]: out-of-range samples are coded L or U',
  },
  limitsGiven: { section: '2.2', level: 'SHOULD', requirement: 'lowerLimit and upperLimit are given' },
  sampleCount: {
    section: '2.2',
    level: 'MUST',
    requirement: 'a chunk holds no more samples than its period has room for (duration / sampling period)',
  },
  device: { section: '2.2', level: 'MUST', requirement: 'device references a Device or DeviceMetric' },
});

interface Sampled {
  origin?: { system?: unknown; code?: unknown; value?: unknown };
  period?: unknown;
  dimensions?: unknown;
  lowerLimit?: unknown;
  upperLimit?: unknown;
  data?: unknown;
}

const TOKEN = /^(E|L|U|[+-]?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?)$/;

function loincUnit(r: FhirResource): string | undefined {
  for (const c of codings(r.code))
    if (c.system === LOINC && c.code && c.code in MIV_CODES.cgm) return MIV_CODES.cgm[c.code];
  return undefined;
}

function tokensOf(sd: Sampled | undefined): string[] {
  return typeof sd?.data === 'string' && sd.data.length > 0 ? sd.data.split(' ') : [];
}

export const isCgm = (r: FhirResource) => r.resourceType === 'Observation' && mivOf(r as never) === 'cgm';

export const CGM_CHECKS = C;
export const CGM_RULES = rules(C, isCgm, {
  effective: (r) => {
    const p = r.effectivePeriod as { start?: string; end?: string } | undefined;
    if (!p?.start || !p.end) return 'effectivePeriod with start and end is missing';
    if (Date.parse(p.end) <= Date.parse(p.start)) return 'effectivePeriod.end is not after its start';
    return 'effectiveDateTime' in r ? 'also effectiveDateTime' : undefined;
  },
  sampledData: (r) => {
    const sd = r.valueSampledData as Sampled | undefined;
    if (!sd) return r.dataAbsentReason ? undefined : 'neither valueSampledData nor dataAbsentReason';
    if (sd.origin?.system !== UCUM) return `origin.system is ${JSON.stringify(sd.origin?.system)}`;
    if (typeof sd.origin.code !== 'string') return 'origin.code is missing';
    if (typeof sd.period !== 'number' || sd.period <= 0) return `period is ${JSON.stringify(sd.period)}`;
    if (typeof sd.dimensions !== 'number' || sd.dimensions < 1)
      return `dimensions is ${JSON.stringify(sd.dimensions)}`;
    return typeof sd.data === 'string' ? undefined : 'data is missing';
  },
  unit: (r) => {
    const code = (r.valueSampledData as Sampled | undefined)?.origin?.code;
    const want = loincUnit(r);
    return code !== undefined && want && code !== want
      ? `unit ${String(code)} for a code that implies ${want}`
      : undefined;
  },
  status: (r) => {
    if (r.status !== 'final' && r.status !== 'preliminary') return `status ${JSON.stringify(r.status)}`;
    return r.dataAbsentReason && r.status !== 'preliminary' ? 'no data but status final' : undefined;
  },
  absentReason: (r) => {
    if (r.dataAbsentReason === undefined) return undefined;
    const ok = codings(r.dataAbsentReason).some(
      (c) => c.system === DATA_ABSENT_REASON && c.code === 'temp-unknown',
    );
    if (!ok) return 'dataAbsentReason is not temp-unknown';
    return r.valueSampledData ? 'dataAbsentReason together with valueSampledData' : undefined;
  },
  tokens: (r) => {
    const sd = r.valueSampledData as Sampled | undefined;
    if (typeof sd?.data !== 'string') return undefined;
    const bad = sd.data.split(' ').filter((t) => !TOKEN.test(t));
    return bad.length
      ? `tokens ${bad
          .slice(0, 3)
          .map((t) => JSON.stringify(t))
          .join(', ')}`
      : undefined;
  },
  limits: (r) => {
    const sd = r.valueSampledData as Sampled | undefined;
    const origin = typeof sd?.origin?.value === 'number' ? sd.origin.value : 0;
    const factor =
      typeof (sd as { factor?: unknown })?.factor === 'number' ? (sd as { factor: number }).factor : 1;
    const lo = typeof sd?.lowerLimit === 'number' ? sd.lowerLimit : undefined;
    const hi = typeof sd?.upperLimit === 'number' ? sd.upperLimit : undefined;
    if (lo === undefined && hi === undefined) return undefined;
    const out = tokensOf(sd).filter((t) => {
      if (!/^[+-]?\d/.test(t)) return false;
      const v = origin + Number(t) * factor;
      return (lo !== undefined && v < lo) || (hi !== undefined && v > hi);
    });
    return out.length
      ? `${out.length} samples outside [${lo ?? '-∞'}, ${hi ?? '∞'}] not coded L/U (${out.slice(0, 3).join(', ')})`
      : undefined;
  },
  limitsGiven: (r) => {
    const sd = r.valueSampledData as Sampled | undefined;
    if (!sd) return undefined;
    return typeof sd.lowerLimit === 'number' && typeof sd.upperLimit === 'number'
      ? undefined
      : 'lowerLimit or upperLimit missing';
  },
  sampleCount: (r) => {
    const sd = r.valueSampledData as Sampled | undefined;
    const t = effectiveRange(r);
    if (!sd || !t || typeof sd.period !== 'number' || sd.period <= 0) return undefined;
    const dims = typeof sd.dimensions === 'number' ? sd.dimensions : 1;
    const room = Math.floor((t.hi - t.lo) / sd.period) + 1;
    const n = tokensOf(sd).length / dims;
    return n > room ? `${n} samples in a period with room for ${room}` : undefined;
  },
  device: (r) => {
    const ref = reference(r, 'device');
    return ref && /(^|\/)(Device|DeviceMetric)\/[^/]+$/.test(ref)
      ? undefined
      : `device is ${JSON.stringify(r.device)}`;
  },
});

/** Across the chunks of each device: no overlap, and every chunk but a final one has the full chunk length. */
export function chunkViolations(chunks: FhirResource[]): string[] {
  const byDevice = new Map<string, FhirResource[]>();
  for (const c of chunks) {
    const ref = reference(c, 'device') ?? '?';
    byDevice.set(ref, [...(byDevice.get(ref) ?? []), c]);
  }
  const out: string[] = [];
  for (const [device, list] of byDevice) {
    const spans = list
      .map((c) => ({ c, t: effectiveRange(c) }))
      .filter((x): x is { c: FhirResource; t: { lo: number; hi: number } } => x.t !== undefined)
      .sort((a, b) => a.t.lo - b.t.lo);
    const full = Math.max(...spans.map((s) => s.t.hi - s.t.lo));
    for (let i = 0; i < spans.length; i++) {
      const { c, t } = spans[i]!;
      if (i > 0 && t.lo < spans[i - 1]!.t.hi)
        out.push(`${device}: Observation/${c.id} overlaps Observation/${spans[i - 1]!.c.id}`);
      if (t.hi - t.lo < full && c.status !== 'final')
        out.push(`${device}: Observation/${c.id} is shorter than the chunk length but ${String(c.status)}`);
    }
  }
  return out;
}
