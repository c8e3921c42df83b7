// What the client holds, in a few lines: counts per kind (latest version of each resource), the latest
// blood glucose value, the latest CGM sample, and the $hddt-cgm-summary metrics when CGM is granted.
import type { FhirResource } from './fhir.ts';
import { mivOfObservation } from './hddt.ts';

export interface LatestValue {
  value: number | null;
  unit: string;
  comparator?: string;
  at: string;
}

export interface CgmSummaryMetrics {
  /** The operation found no CGM data in the period (MSG_NO_MATCH). */
  noMatch?: boolean;
  period?: { start?: string; end?: string };
  meanGlucose?: { value: number; unit: string };
  timeInRanges?: Record<string, number>;
  gmi?: number;
  cv?: number;
  daysOfWear?: number;
  sensorActivePercentage?: number;
}

export interface ClientSummary {
  counts: {
    cgmChunks: number;
    cgmFinal: number;
    bgObservations: number;
    devices: number;
    deviceMetrics: number;
  };
  cgmSamples: number;
  latestBg?: LatestValue;
  latestCgm?: LatestValue;
  cgmSummary?: CgmSummaryMetrics;
}

interface SampledData {
  origin: { value?: number; code?: string; unit?: string };
  period: number;
  factor?: number;
  lowerLimit?: number;
  upperLimit?: number;
  data?: string;
}

/** Latest version of each resource (by type and id). */
export function latestVersions(resources: readonly FhirResource[]): FhirResource[] {
  const byId = new Map<string, FhirResource>();
  for (const r of resources) {
    const k = `${r.resourceType}/${r.id}`;
    const prev = byId.get(k);
    if (!prev || Number(r.meta?.versionId ?? 0) >= Number(prev.meta?.versionId ?? 0)) byId.set(k, r);
  }
  return [...byId.values()];
}

function samples(r: FhirResource): Array<{ t: number; token: string; value: number | null }> {
  const sd = r.valueSampledData as SampledData | undefined;
  const start = Date.parse((r.effectivePeriod as { start?: string } | undefined)?.start ?? '');
  if (!sd?.data || !(sd.period > 0) || Number.isNaN(start)) return [];
  const out: Array<{ t: number; token: string; value: number | null }> = [];
  sd.data.split(' ').forEach((tok, i) => {
    if (tok === '' || tok === 'E') return;
    let v: number | null = null;
    if (tok === 'L') v = sd.lowerLimit ?? null;
    else if (tok === 'U') v = sd.upperLimit ?? null;
    else if (Number.isFinite(Number(tok))) v = (sd.origin.value ?? 0) + Number(tok) * (sd.factor ?? 1);
    out.push({ t: start + i * sd.period, token: tok, value: v });
  });
  return out;
}

export function summarize(resources: readonly FhirResource[]): ClientSummary {
  const latest = latestVersions(resources);
  const s: ClientSummary = {
    counts: { cgmChunks: 0, cgmFinal: 0, bgObservations: 0, devices: 0, deviceMetrics: 0 },
    cgmSamples: 0,
  };
  let bgAt = -Infinity;
  let cgmAt = -Infinity;
  for (const r of latest) {
    if (r.resourceType === 'Device') s.counts.devices++;
    else if (r.resourceType === 'DeviceMetric') s.counts.deviceMetrics++;
    if (r.resourceType !== 'Observation') continue;
    const miv = mivOfObservation(r as { code?: { coding?: Array<{ code?: string }> } });
    if (miv === 'bloodGlucose') {
      s.counts.bgObservations++;
      const at = String(r.effectiveDateTime ?? '');
      const q = r.valueQuantity as
        { value?: number; code?: string; unit?: string; comparator?: string } | undefined;
      if (q && Date.parse(at) > bgAt) {
        bgAt = Date.parse(at);
        s.latestBg = {
          value: q.value ?? null,
          unit: q.code ?? q.unit ?? '',
          at,
          ...(q.comparator ? { comparator: q.comparator } : {}),
        };
      }
    } else if (miv === 'cgm') {
      s.counts.cgmChunks++;
      if (r.status === 'final') s.counts.cgmFinal++;
      const list = samples(r);
      s.cgmSamples += list.length;
      const last = list.at(-1);
      if (last && last.t > cgmAt) {
        cgmAt = last.t;
        const sd = r.valueSampledData as SampledData;
        s.latestCgm = {
          value: last.value,
          unit: sd.origin.code ?? '',
          at: new Date(last.t).toISOString(),
          ...(last.token === 'L' ? { comparator: '<' } : last.token === 'U' ? { comparator: '>' } : {}),
        };
      }
    }
  }
  return s;
}

const LOINC_TIR: Record<string, string> = {
  '104642-4': 'veryLow',
  '104641-6': 'low',
  '97510-2': 'target',
  '104640-8': 'high',
  '104639-0': 'veryHigh',
};

function loincOf(r: { code?: { coding?: Array<{ system?: string; code?: string }> } }): string | undefined {
  return r.code?.coding?.find((c) => c.system === 'http://loinc.org')?.code;
}

/** Reads the HL7 CGM summary Observations out of the $hddt-cgm-summary Bundle. */
export function parseCgmSummary(bundle: FhirResource): CgmSummaryMetrics {
  const out: CgmSummaryMetrics = {};
  const entries = (bundle.entry as Array<{ resource?: FhirResource }> | undefined) ?? [];
  for (const e of entries) {
    const r = e.resource;
    if (!r || r.resourceType !== 'Observation') continue;
    const q = (r as { valueQuantity?: { value?: number; code?: string } }).valueQuantity;
    switch (loincOf(r as never)) {
      case '107931-8':
        out.period = r.effectivePeriod as { start?: string; end?: string };
        break;
      case '97507-8':
        if (q?.value !== undefined) out.meanGlucose = { value: q.value, unit: q.code ?? '' };
        break;
      case '105273-7':
        // mmol/L only when there is no mg/dL mean
        if (q?.value !== undefined && !out.meanGlucose)
          out.meanGlucose = { value: q.value, unit: q.code ?? '' };
        break;
      case '106793-3': {
        const tir: Record<string, number> = {};
        for (const c of (r as { component?: Array<Record<string, unknown>> }).component ?? []) {
          const name = LOINC_TIR[loincOf(c as never) ?? ''];
          const v = (c.valueQuantity as { value?: number } | undefined)?.value;
          if (name && v !== undefined) tir[name] = v;
        }
        out.timeInRanges = tir;
        break;
      }
      case '97506-0':
        out.gmi = q?.value;
        break;
      case '104638-2':
        out.cv = q?.value;
        break;
      case '104636-6':
        out.daysOfWear = q?.value;
        break;
      case '104637-4':
        out.sensorActivePercentage = q?.value;
        break;
    }
  }
  return out;
}

function fmtValue(v: LatestValue): string {
  const value =
    v.value === null ? 'no value' : `${v.comparator ?? ''}${Math.round(v.value * 10) / 10} ${v.unit}`;
  return `${value} at ${v.at}`;
}

function pct(v: number | undefined): string {
  return v === undefined ? '–' : `${Math.round(v * 10) / 10} %`;
}

/** The printed summary; stable line prefixes (tests and scripts read them). */
export function formatSummary(s: ClientSummary): string[] {
  const lines = [
    `CGM chunks:        ${s.counts.cgmChunks} (${s.counts.cgmFinal} final, ${s.cgmSamples} samples)`,
    `BG observations:   ${s.counts.bgObservations}`,
    `Devices:           ${s.counts.devices}`,
    `DeviceMetrics:     ${s.counts.deviceMetrics}`,
    `Latest BG:         ${s.latestBg ? fmtValue(s.latestBg) : '–'}`,
    `Latest CGM:        ${s.latestCgm ? fmtValue(s.latestCgm) : '–'}`,
  ];
  const c = s.cgmSummary;
  if (c?.noMatch) {
    lines.push('CGM summary:       – (no CGM data in the period)');
  } else if (c) {
    const tir = c.timeInRanges ?? {};
    lines.push(
      `CGM summary:       ${c.period?.start ?? '?'} – ${c.period?.end ?? '?'}`,
      `  mean glucose     ${c.meanGlucose ? `${Math.round(c.meanGlucose.value * 10) / 10} ${c.meanGlucose.unit}` : '–'}`,
      `  time in ranges   very low ${pct(tir.veryLow)}, low ${pct(tir.low)}, target ${pct(tir.target)}, high ${pct(tir.high)}, very high ${pct(tir.veryHigh)}`,
      `  GMI ${pct(c.gmi)}, CV ${pct(c.cv)}, days of wear ${c.daysOfWear ?? '–'}, sensor active ${pct(c.sensorActivePercentage)}`,
    );
  } else {
    lines.push('CGM summary:       – (CGM not granted)');
  }
  return lines;
}
