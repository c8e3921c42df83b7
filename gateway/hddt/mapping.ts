// The mapping rules the configuration sets, and the time-dependent facts derived from them (pure).
import type { GlucoseUnit } from '../readings/reading.ts';
import { convertGlucose } from './codes.ts';
import type { DeviceStatus } from './device.ts';

export interface MappingOptions {
  chunkMinutes: number;
  delayFromRealTimeSeconds: number;
  /** Limits used when a CGM session does not state its own, in mg/dL. */
  cgmDefaultLimits: { lower: number; upper: number };
  /** CGM historic data period: chunks without samples are made no further back (default 30, HDDT's minimum). */
  cgmHistoricDays?: number;
}

/** The mapping settings out of the gateway configuration. */
export function mappingFromConfig(config: {
  hddt: MappingOptions & { historicDataPeriodDays?: { cgm: number } };
}): MappingOptions {
  const { chunkMinutes, delayFromRealTimeSeconds, cgmDefaultLimits, historicDataPeriodDays } = config.hddt;
  return {
    chunkMinutes,
    delayFromRealTimeSeconds,
    cgmDefaultLimits,
    ...(historicDataPeriodDays ? { cgmHistoricDays: historicDataPeriodDays.cgm } : {}),
  };
}

/** Everything ingest needs from the configuration: mapping rules and historic data periods. */
export function ingestOptionsFromConfig(config: {
  hddt: MappingOptions & { historicDataPeriodDays: { bloodGlucose: number; cgm: number } };
}) {
  return { mapping: mappingFromConfig(config), retention: config.hddt.historicDataPeriodDays };
}

/** A session's measuring range in its unit: its own, else the configured defaults (mg/dL) converted. */
export function chunkLimits(
  s: { lower_limit: number | null; upper_limit: number | null },
  unit: GlucoseUnit,
  opts: MappingOptions,
): { lower: number; upper: number } {
  return {
    lower: s.lower_limit ?? convertGlucose(opts.cgmDefaultLimits.lower, 'mg/dL', unit),
    upper: s.upper_limit ?? convertGlucose(opts.cgmDefaultLimits.upper, 'mg/dL', unit),
  };
}

/** inactive once the session ended; unknown when the device was not heard from for longer than the delay. */
export function deviceStatusOf(
  facts: { sessionEnded: boolean; lastSeenMs: number },
  nowMs: number,
  opts: MappingOptions,
): DeviceStatus {
  if (facts.sessionEnded) return 'inactive';
  if (nowMs - facts.lastSeenMs > opts.delayFromRealTimeSeconds * 1000) return 'unknown';
  return 'active';
}
