// CGM chunks (hddt-continuous-glucose-measurement): one Observation per DeviceMetric and fixed period whose
// valueSampledData holds one slot per sampling interval. `E` = no valid sample, `L`/`U` = outside the
// sensor's measuring range. An open chunk with no sample yet has no valueSampledData but dataAbsentReason
// temp-unknown (HDDT: no data for the whole chunk, but it may still arrive); once closed, its slots are `E`.
import type { GlucoseUnit } from '../readings/reading.ts';
import type { ResourceMeta } from './resource.ts';
import { CGM_LOINC, DATA_ABSENT_REASON, PROFILE, UCUM, UNIT_DISPLAY, convertGlucose } from './codes.ts';
import { fhirInstant } from './time.ts';

export interface ChunkSample {
  effectiveMs: number;
  value: number | null;
  unit: GlucoseUnit;
  flag: 'low' | 'high' | 'error' | null;
}

export interface ChunkInput {
  id: string;
  metricId: string;
  startMs: number;
  endMs: number;
  periodMs: number;
  unit: GlucoseUnit;
  lowerLimit: number | null;
  upperLimit: number | null;
  status: 'preliminary' | 'final';
  samples: ChunkSample[];
}

/** Start of the chunk holding `ms`: chunks are aligned to the UTC epoch, so they tile every UTC day. */
export function chunkStart(ms: number, chunkMs: number): number {
  return Math.floor(ms / chunkMs) * chunkMs;
}

function formatValue(v: number, unit: GlucoseUnit): string {
  const digits = unit === 'mg/dL' ? 1 : 2;
  return String(Number(v.toFixed(digits)));
}

/** The `data` string: slot i holds the sample measured in [start + i·period, start + (i+1)·period). */
export function sampledData(input: ChunkInput): string {
  const slotCount = Math.round((input.endMs - input.startMs) / input.periodMs);
  const slots: string[] = [];
  for (const s of input.samples) {
    const i = Math.floor((s.effectiveMs - input.startMs) / input.periodMs);
    if (i < 0 || i >= slotCount) continue;
    slots[i] = slotText(s, input);
  }
  // An open chunk ends at its newest sample; a closed one is complete, so trailing gaps are missing samples.
  const length = input.status === 'final' ? slotCount : slots.length;
  const out: string[] = [];
  for (let i = 0; i < length; i++) out.push(slots[i] ?? 'E');
  return out.join(' ');
}

function slotText(s: ChunkSample, input: ChunkInput): string {
  if (s.flag === 'error' || s.value === null) return 'E';
  const v = convertGlucose(s.value, s.unit, input.unit);
  if (s.flag === 'low' || (input.lowerLimit !== null && v < input.lowerLimit)) return 'L';
  if (s.flag === 'high' || (input.upperLimit !== null && v > input.upperLimit)) return 'U';
  return formatValue(v, input.unit);
}

const TEMP_UNKNOWN = {
  coding: [{ system: DATA_ABSENT_REASON, code: 'temp-unknown', display: 'Temporarily Unknown' }],
};

export function renderCgmChunk(input: ChunkInput, meta: ResourceMeta): object {
  const data = sampledData(input);
  const common = {
    resourceType: 'Observation',
    id: input.id,
    meta: { ...meta, profile: [PROFILE.cgm] },
    status: input.status,
    code: { coding: [CGM_LOINC[input.unit]] },
    effectivePeriod: { start: fhirInstant(input.startMs), end: fhirInstant(input.endMs) },
    device: { reference: `DeviceMetric/${input.metricId}` },
  };
  // Only an open chunk's data can be empty (a closed one has a slot per interval).
  if (data === '') return { ...common, dataAbsentReason: TEMP_UNKNOWN };
  return {
    ...common,
    valueSampledData: {
      origin: { value: 0, unit: UNIT_DISPLAY[input.unit], system: UCUM, code: input.unit },
      period: input.periodMs,
      dimensions: 1,
      ...(input.lowerLimit !== null ? { lowerLimit: input.lowerLimit } : {}),
      ...(input.upperLimit !== null ? { upperLimit: input.upperLimit } : {}),
      data,
    },
  };
}
