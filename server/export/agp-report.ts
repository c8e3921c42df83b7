// What the one-page AGP report shows (international consensus layout): the last 14 local calendar days up
// to now, their CGM metrics ($hddt-cgm-summary's own functions), the ambulatory glucose profile
// (gateway/hddt/agp.ts) and each day's samples. Read from the patient's CGM chunk Observations, as the FHIR
// API serves them, so it works alike on a hub and on a recorder.
import { agpProfile, type AgpProfile } from '../../gateway/hddt/agp.ts';
import {
  cgmMetrics,
  samplesOfChunks,
  type CgmMetrics,
  type CgmSample,
} from '../../gateway/hddt/cgm-metrics.ts';
import { MIV_CODES } from '../../gateway/hddt/codes.ts';
import { ownObservations } from '../../gateway/store/patient-readings.ts';
import type { Store } from '../../gateway/store/store.ts';
import { localDayStarts } from './local-time.ts';

export const REPORT_DAYS = 14;

export interface ReportDay {
  startMs: number;
  endMs: number;
  samples: CgmSample[];
}

export interface AgpReportData {
  fromMs: number;
  toMs: number;
  zone: string;
  /** Undefined when the period has no CGM sample. */
  metrics: CgmMetrics | undefined;
  agp: AgpProfile;
  days: ReportDay[];
}

export function agpReportData(store: Store, patientId: string, nowMs: number, zone: string): AgpReportData {
  const starts = localDayStarts(nowMs, REPORT_DAYS, zone);
  const fromMs = starts[0]!;
  const toMs = nowMs;
  const chunks = ownObservations(store, patientId, MIV_CODES.cgm, fromMs, toMs);
  const { samples: all, intervalMs } = samplesOfChunks(chunks);
  const samples = all.filter((s) => s.t >= fromMs && s.t < toMs).sort((a, b) => a.t - b.t);
  const metrics = cgmMetrics({ samples, fromMs, toMs, intervalMs });
  const agp = agpProfile(
    samples.map((s) => ({ atMs: s.t, mgdl: s.mgdl })),
    { timeZone: zone, binMinutes: 15 },
  );
  const days: ReportDay[] = [];
  let i = 0;
  for (let d = 0; d < REPORT_DAYS; d++) {
    const startMs = starts[d]!;
    const endMs = starts[d + 1]!;
    const own: CgmSample[] = [];
    while (i < samples.length && samples[i]!.t < endMs) own.push(samples[i++]!);
    days.push({ startMs, endMs, samples: own });
  }
  return { fromMs, toMs, zone, metrics, agp, days };
}
