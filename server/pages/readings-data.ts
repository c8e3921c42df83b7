// The facts of the patient's readings page, gathered once per request: their devices with assignment periods,
// and for the last 14 days (one device, or all of them) the CGM values, the meter readings, the summary
// metrics exactly as $hddt-cgm-summary computes them (samplesOfChunks + cgmMetrics over the same chunks) and
// the AGP. Only Observations inside the patient's assignment periods are read (gateway/store/patient-readings).
import { agpProfile, type AgpProfile } from '../../gateway/hddt/agp.ts';
import {
  cgmMetrics,
  decodeSlots,
  samplesOfChunks,
  type CgmMetrics,
  type SampledData,
} from '../../gateway/hddt/cgm-metrics.ts';
import { DEVICE_TYPE, MGDL_PER_MMOLL, MIV_CODES } from '../../gateway/hddt/codes.ts';
import { assignmentsOfPatient, ownObservations } from '../../gateway/store/patient-readings.ts';
import type { ResourceRow } from '../../gateway/store/resources.ts';
import type { Store } from '../../gateway/store/store.ts';
import { hourlyMeans, splitAtGaps, type TracePoint } from './charts/trace.ts';

const DAY = 86_400_000;
export const REPORT_DAYS = 14;

export interface DeviceEntry {
  key: string;
  kind: 'cgm' | 'bgm' | null;
  /** Manufacturer, model and name as the device reported them (null when not known). */
  name: string | null;
  serialNumber: string | null;
  fromMs: number;
  untilMs: number | null;
}

export interface ReadingsData {
  nowMs: number;
  from24hMs: number;
  from14dMs: number;
  /** The sampling interval of the CGM values (gaps are breaks longer than 1.5 of it). */
  intervalMs: number;
  /** CGM values of the last 24 h as gap-free runs, and hourly means of the 14 days as runs. */
  runs24h: TracePoint[][];
  runs14d: TracePoint[][];
  /** Meter readings of the 14 days. */
  bg: TracePoint[];
  metrics: CgmMetrics | undefined;
  agp: AgpProfile;
}

interface DeviceJson {
  type?: { coding?: Array<{ code?: string }> };
  manufacturer?: string;
  modelNumber?: string;
  deviceName?: Array<{ name?: string }>;
  serialNumber?: string;
}

function kindOf(d: DeviceJson): DeviceEntry['kind'] {
  const code = d.type?.coding?.[0]?.code;
  return code === DEVICE_TYPE.cgm.code ? 'cgm' : code === DEVICE_TYPE.bgm.code ? 'bgm' : null;
}

/** The patient's assignment periods, newest first, each with what its device says about itself. */
export function patientDevices(store: Store, patientId: string): DeviceEntry[] {
  return assignmentsOfPatient(store, patientId).map((a) => {
    const d = (a.device_json ? JSON.parse(a.device_json) : {}) as DeviceJson;
    const parts = [d.manufacturer, d.modelNumber, d.deviceName?.[0]?.name].filter((x) => !!x);
    return {
      key: a.device_key,
      kind: kindOf(d),
      name: parts.length > 0 ? parts.join(' ') : null,
      serialNumber: d.serialNumber ?? null,
      fromMs: a.from_ms,
      untilMs: a.until_ms,
    };
  });
}

/** CGM slots with a value, per device (L/U marked), from chunk rows. */
function cgmPoints(chunks: readonly ResourceRow[]): Map<string, TracePoint[]> {
  const out = new Map<string, TracePoint[]>();
  for (const row of chunks) {
    const sd = (JSON.parse(row.json) as { valueSampledData?: SampledData }).valueSampledData;
    if (!sd || row.effective_start_ms === null) continue;
    const list = out.get(row.device_key) ?? [];
    for (const s of decodeSlots(row.effective_start_ms, sd)) {
      if (s.mgdl !== null) list.push({ t: s.t, mgdl: s.mgdl, mark: s.mark === 'E' ? null : s.mark });
    }
    out.set(row.device_key, list);
  }
  return out;
}

interface BgJson {
  valueQuantity?: { value?: number; comparator?: string; code?: string };
}

/** Meter readings with a value (a reading the meter flagged as an error has none), in mg/dL. */
function bgPoints(rows: readonly ResourceRow[]): TracePoint[] {
  const out: TracePoint[] = [];
  for (const row of rows) {
    const q = (JSON.parse(row.json) as BgJson).valueQuantity;
    if (typeof q?.value !== 'number' || row.effective_start_ms === null) continue;
    const mgdl = q.code === 'mmol/L' ? q.value * MGDL_PER_MMOLL : q.value;
    const mark = q.comparator === '<' ? 'L' : q.comparator === '>' ? 'U' : null;
    out.push({ t: row.effective_start_ms, mgdl, mark });
  }
  return out.sort((a, b) => a.t - b.t);
}

export interface ReadingsQuery {
  store: Store;
  patientId: string;
  nowMs: number;
  timeZone: string;
  /** One device's data only; undefined: all of the patient's devices. */
  deviceKey?: string;
}

export function readingsData(q: ReadingsQuery): ReadingsData {
  const from14dMs = q.nowMs - REPORT_DAYS * DAY;
  const from24hMs = q.nowMs - DAY;
  const mine = (r: ResourceRow) => q.deviceKey === undefined || r.device_key === q.deviceKey;
  const chunks = ownObservations(q.store, q.patientId, MIV_CODES.cgm, from14dMs, q.nowMs).filter(mine);
  const meter = ownObservations(q.store, q.patientId, MIV_CODES.bloodGlucose, from14dMs, q.nowMs).filter(
    mine,
  );
  const { samples, intervalMs } = samplesOfChunks(chunks);
  const metrics = cgmMetrics({ samples, fromMs: from14dMs, toMs: q.nowMs, intervalMs });
  const inPeriod = samples.filter((s) => s.t >= from14dMs && s.t < q.nowMs);
  const agp = agpProfile(
    inPeriod.map((s) => ({ atMs: s.t, mgdl: s.mgdl })),
    { timeZone: q.timeZone },
  );
  const runs24h: TracePoint[][] = [];
  const runs14d: TracePoint[][] = [];
  for (const points of cgmPoints(chunks).values()) {
    const last24 = points.filter((p) => p.t >= from24hMs && p.t < q.nowMs);
    runs24h.push(...splitAtGaps(last24, 1.5 * intervalMs));
    const hourly = hourlyMeans(points.filter((p) => p.t >= from14dMs && p.t < q.nowMs));
    runs14d.push(...splitAtGaps(hourly, 1.5 * 3_600_000));
  }
  return {
    nowMs: q.nowMs,
    from24hMs,
    from14dMs,
    intervalMs,
    runs24h,
    runs14d,
    bg: bgPoints(meter),
    metrics,
    agp,
  };
}
