// Renders stored readings into the served FHIR resources. Called inside ingest's transaction and by the
// periodic status job; every write goes through putResource, which skips unchanged renders.
import type { DeviceKind, GlucoseUnit } from '../readings/reading.ts';
import {
  getChunk,
  insertChunk,
  listChunks,
  setChunkStatus,
  chunksToFinalize,
  type ChunkRow,
} from '../store/chunks.ts';
import {
  getDeviceById,
  getSessionById,
  listDevices,
  listSessions,
  nextSession,
  type DeviceRow,
  type SessionRow,
} from '../store/devices.ts';
import { sessionSamplesInRange, type ReadingRow, type SampleRow } from '../store/readings.ts';
import { putResource } from '../store/resources.ts';
import type { Store } from '../store/store.ts';
import { renderBloodGlucose } from '../hddt/blood-glucose.ts';
import { bloodGlucoseCoding } from '../hddt/blood-glucose.ts';
import { chunkStart, renderCgmChunk } from '../hddt/cgm-chunk.ts';
import { CGM_LOINC, DEVICE_TYPE, METRIC_TYPE, convertGlucose } from '../hddt/codes.ts';
import { renderDevice, renderDeviceMetric, type DeviceStatus } from '../hddt/device.ts';
import { resourceId } from '../hddt/ids.ts';

export interface MappingOptions {
  chunkMinutes: number;
  delayFromRealTimeSeconds: number;
  /** Limits used when a CGM session does not state its own, in mg/dL. */
  cgmDefaultLimits: { lower: number; upper: number };
  /** CGM historic data period: chunks without samples are made no further back (default 30, HDDT's minimum). */
  cgmHistoricDays?: number;
}

const DAY = 86_400_000;

export function sessionIds(store: Store, deviceKey: string, startedAt: string) {
  const secret = store.idSecret();
  return {
    device: resourceId(secret, 'Device', deviceKey, startedAt),
    metric: resourceId(secret, 'DeviceMetric', deviceKey, startedAt),
  };
}

export function bloodGlucoseId(store: Store, deviceKey: string, identity: string): string {
  return resourceId(store.idSecret(), 'Observation', deviceKey, identity);
}

export function chunkId(store: Store, metricId: string, startMs: number): string {
  return resourceId(store.idSecret(), 'Observation', 'cgm-chunk', metricId, String(startMs));
}

/** A session is over when its sensor expired or the device started a newer one. */
function sessionEnded(store: Store, s: SessionRow, nowMs: number): boolean {
  if (s.expires_at && Date.parse(s.expires_at) <= nowMs) return true;
  return nextSession(store, s) !== undefined;
}

export function deviceStatus(
  store: Store,
  device: DeviceRow,
  s: SessionRow,
  nowMs: number,
  opts: MappingOptions,
): DeviceStatus {
  if (sessionEnded(store, s, nowMs)) return 'inactive';
  if (nowMs - device.last_seen_ms > opts.delayFromRealTimeSeconds * 1000) return 'unknown';
  return 'active';
}

export function renderSessionResources(
  store: Store,
  s: SessionRow,
  nowMs: number,
  opts: MappingOptions,
): void {
  const device = getDeviceById(store, s.device_id)!;
  const kind = device.kind as DeviceKind;
  const status = deviceStatus(store, device, s, nowMs, opts);
  putResource(
    store,
    { type: 'Device', id: s.device_fhir_id, deviceKey: device.key, code: DEVICE_TYPE[kind].code, status },
    nowMs,
    (meta) =>
      renderDevice(
        {
          id: s.device_fhir_id,
          kind,
          status,
          name: device.name ?? device.model,
          manufacturer: device.manufacturer,
          model: device.model,
          serialNumber: s.serial_number ?? device.serial_number,
          expiresMs: s.expires_at ? Date.parse(s.expires_at) : null,
        },
        meta,
      ),
  );
  putResource(
    store,
    {
      type: 'DeviceMetric',
      id: s.metric_fhir_id,
      deviceKey: device.key,
      code: METRIC_TYPE[kind].code,
      ref: `Device/${s.device_fhir_id}`,
    },
    nowMs,
    (meta) =>
      renderDeviceMetric(
        {
          id: s.metric_fhir_id,
          deviceId: s.device_fhir_id,
          kind,
          unit: s.unit as GlucoseUnit,
          intervalSeconds: s.interval_s,
          active: status !== 'inactive',
          calibrationState: s.calibration_state,
          calibrationTime: s.calibration_time,
        },
        meta,
      ),
  );
}

export function renderBloodGlucoseReading(
  store: Store,
  deviceKey: string,
  s: SessionRow,
  r: Pick<ReadingRow, 'identity' | 'value' | 'unit' | 'flag' | 'specimen' | 'effective_ms'>,
  nowMs: number,
): void {
  const id = bloodGlucoseId(store, deviceKey, r.identity);
  const unit = r.unit as GlucoseUnit;
  const flag = r.flag as 'low' | 'high' | 'error' | null;
  const specimen = r.specimen as ReadingRow['specimen'] as Parameters<typeof bloodGlucoseCoding>[0];
  putResource(
    store,
    {
      type: 'Observation',
      id,
      deviceKey,
      code: bloodGlucoseCoding(specimen, unit).code,
      effectiveStartMs: r.effective_ms,
      effectiveEndMs: r.effective_ms,
      value: flag === 'error' ? null : r.value,
      unit,
      ref: `DeviceMetric/${s.metric_fhir_id}`,
      status: 'final',
    },
    nowMs,
    (meta) =>
      renderBloodGlucose(
        {
          id,
          recordIdentity: `${s.device_fhir_id}/${r.identity}`,
          value: r.value,
          unit,
          flag,
          specimen,
          effectiveMs: r.effective_ms,
          metricId: s.metric_fhir_id,
        },
        meta,
      ),
  );
}

/** Creates or re-renders the chunk of `s` that starts at `startMs`. */
export function renderChunk(
  store: Store,
  s: SessionRow,
  startMs: number,
  nowMs: number,
  opts: MappingOptions,
  /** The samples this batch stored in the chunk. When the chunk is new they are all it has: no re-read. */
  batchSamples?: SampleRow[],
): void {
  const chunkMs = opts.chunkMinutes * 60_000;
  let chunk: ChunkRow | undefined = getChunk(store, s.id, startMs);
  const endMs = startMs + chunkMs;
  const shouldBeFinal = nowMs >= endMs || sessionEnded(store, s, nowMs);
  const isNew = !chunk;
  if (!chunk) {
    chunk = insertChunk(store, {
      session_id: s.id,
      start_ms: startMs,
      end_ms: endMs,
      fhir_id: chunkId(store, s.metric_fhir_id, startMs),
      status: shouldBeFinal ? 'final' : 'preliminary',
    });
  } else if (shouldBeFinal && chunk.status !== 'final') {
    setChunkStatus(store, chunk.id, 'final');
    chunk = { ...chunk, status: 'final' };
  }
  const device = getDeviceById(store, s.device_id)!;
  const unit = s.unit as GlucoseUnit;
  const limits = chunkLimits(s, unit, opts);
  const rows =
    isNew && batchSamples
      ? [...batchSamples].sort((a, b) => a.effective_ms - b.effective_ms)
      : sessionSamplesInRange(store, s.id, startMs, endMs);
  const c = chunk;
  putResource(
    store,
    {
      type: 'Observation',
      id: c.fhir_id,
      deviceKey: device.key,
      code: CGM_LOINC[unit].code,
      effectiveStartMs: startMs,
      effectiveEndMs: endMs,
      unit,
      ref: `DeviceMetric/${s.metric_fhir_id}`,
      status: c.status,
    },
    nowMs,
    (meta) =>
      renderCgmChunk(
        {
          id: c.fhir_id,
          metricId: s.metric_fhir_id,
          startMs,
          endMs,
          periodMs: (s.interval_s ?? 60) * 1000,
          unit,
          lowerLimit: limits.lower,
          upperLimit: limits.upper,
          status: c.status,
          samples: rows.map((r) => ({
            effectiveMs: r.effective_ms,
            value: r.value,
            unit: r.unit as GlucoseUnit,
            flag: r.flag as 'low' | 'high' | 'error' | null,
          })),
        },
        meta,
      ),
  );
}

function chunkLimits(s: SessionRow, unit: GlucoseUnit, opts: MappingOptions) {
  const lower = s.lower_limit ?? convertGlucose(opts.cgmDefaultLimits.lower, 'mg/dL', unit);
  const upper = s.upper_limit ?? convertGlucose(opts.cgmDefaultLimits.upper, 'mg/dL', unit);
  return { lower, upper };
}

/** When a CGM session stopped recording: its sensor's expiry or the start of the device's next session. */
function sessionEndMs(store: Store, s: SessionRow): number {
  const next = nextSession(store, s);
  const ends = [s.expires_at, next?.started_at].filter((t): t is string => !!t).map((t) => Date.parse(t));
  return Math.min(Infinity, ...ends.filter((t) => Number.isFinite(t)));
}

/**
 * The chunks of a CGM session that no sample created: every chunk period from the session's start up to now
 * (or its end) gets its Observation, so an hour without data is served as `temp-unknown` while it is open
 * (HDDT), not as nothing. It turns final at its end like any chunk (slots `E`); samples arriving later
 * re-render it under the same id with a new version. Nothing before the historic data period: retention
 * deleted those chunks and must not see them come back.
 */
export function renderEmptyChunks(store: Store, s: SessionRow, nowMs: number, opts: MappingOptions): void {
  const startMs = Date.parse(s.started_at);
  if (!Number.isFinite(startMs)) return;
  const chunkMs = opts.chunkMinutes * 60_000;
  const cutoffMs = nowMs - (opts.cgmHistoricDays ?? 30) * DAY;
  const first = chunkStart(Math.max(startMs, cutoffMs), chunkMs);
  const last = Math.min(nowMs, sessionEndMs(store, s) - 1);
  if (first > last) return;
  const have = new Set(listChunks(store, s.id).map((c) => c.start_ms));
  for (let t = first; t <= last; t += chunkMs) if (!have.has(t)) renderChunk(store, s, t, nowMs, opts);
}

/**
 * Time-driven changes: chunks whose period ended become final, CGM chunk periods without samples get their
 * temp-unknown chunk, Devices not heard from become `unknown`, expired sensors `inactive`. Run periodically;
 * cheap when nothing changed.
 */
export function refreshTimeDependent(store: Store, nowMs: number, opts: MappingOptions): void {
  store.transaction(() => {
    for (const c of chunksToFinalize(store, nowMs)) {
      const s = getSessionById(store, c.session_id)!;
      renderChunk(store, s, c.start_ms, nowMs, opts);
    }
    for (const d of listDevices(store)) {
      for (const s of listSessions(store, d.id)) {
        renderSessionResources(store, s, nowMs, opts);
        if (d.kind === 'cgm') renderEmptyChunks(store, s, nowMs, opts);
      }
    }
  });
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
