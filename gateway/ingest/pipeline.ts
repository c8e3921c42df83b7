// ingest(): the one door into the store. Validates, deduplicates by (device, identity), stores the batch and
// re-renders the FHIR resources it touched, all in one transaction: when it returns, the batch is durable.
import { chunkStart } from '../hddt/cgm-chunk.ts';
import {
  renderBloodGlucoseReading,
  renderChunk,
  renderSessionResources,
  sessionIds,
  type MappingOptions,
} from './resources.ts';
import {
  getSession,
  insertSession,
  listSessions,
  setSessionSerial,
  updateSessionCalibration,
  upsertDevice,
  type DeviceRow,
  type SessionRow,
} from '../store/devices.ts';
import { openChunksOfSession } from '../store/chunks.ts';
import { insertReadingFields, type SampleRow } from '../store/readings.ts';
import type { Store } from '../store/store.ts';
import type { IngestResult, Reading } from '../readings/reading.ts';
import { TimeCache } from '../readings/time-cache.ts';
import { validateReading } from '../readings/validate.ts';

export const DEFAULT_MAPPING: MappingOptions = {
  chunkMinutes: 60,
  delayFromRealTimeSeconds: 900,
  cgmDefaultLimits: { lower: 40, upper: 400 },
};

export interface IngestOptions {
  now?: Date;
  mapping?: MappingOptions;
  /** Historic data periods: a record older than its period is counted as expired and not stored (it was or
   * would be purged; storing it again would bring purged data back on every re-dump of a meter's memory). */
  retention?: { bloodGlucose: number; cgm: number };
}

export function ingest(store: Store, readings: Reading[], opts: IngestOptions = {}): IngestResult {
  const nowMs = (opts.now ?? new Date()).getTime();
  const mapping = opts.mapping ?? DEFAULT_MAPPING;
  const chunkMs = mapping.chunkMinutes * 60_000;
  const result: IngestResult = { stored: 0, duplicates: 0, rejected: [] };
  if (opts.retention) result.expired = 0;
  const cutoff = opts.retention && {
    bgm: nowMs - opts.retention.bloodGlucose * 86_400_000,
    cgm: nowMs - opts.retention.cgm * 86_400_000,
  };

  store.transaction(() => {
    const devices = new Map<string, DeviceRow>();
    const sessions = new Map<string, SessionRow>();
    const touchedSessions = new Map<number, SessionRow>();
    const dirtyChunks = new Map<string, { session: SessionRow; startMs: number; samples?: SampleRow[] }>();
    const previousOfNewSessions: SessionRow[] = [];

    const times = new TimeCache();
    const newestReceived = new Map<string, number>();
    const reasons = readings.map((r) => {
      const reason = validateReading(r, times);
      if (!reason) {
        const ms = times.parse(r.receivedAt);
        if (ms > (newestReceived.get(r.device.key) ?? -Infinity)) newestReceived.set(r.device.key, ms);
      }
      return reason;
    });

    let last:
      | {
          deviceKey: string;
          device: DeviceRow;
          deviceId: number;
          rawStart: string;
          startedAt: string;
          key: string;
          session: SessionRow;
        }
      | undefined;
    let lastDirty: { session: SessionRow; startMs: number; samples?: SampleRow[] } | undefined;
    readings.forEach((r, index) => {
      const reason = reasons[index];
      if (reason) {
        result.rejected.push({
          index,
          identity: typeof r?.identity === 'string' ? r.identity : undefined,
          reason,
        });
        return;
      }
      if (cutoff && times.parse(r.effectiveAt) < cutoff[r.device.kind]) {
        result.expired!++;
        return;
      }
      const receivedMs = times.parse(r.receivedAt);
      let device = last && last.deviceKey === r.device.key ? last.device : devices.get(r.device.key);
      if (!device) {
        // once per device and batch, with the newest receive time of the batch: last_seen only moves forward
        device = upsertDevice(store, r.device, newestReceived.get(r.device.key) ?? receivedMs);
        devices.set(r.device.key, device);
      }
      if (device.kind !== r.device.kind) {
        result.rejected.push({
          index,
          identity: r.identity,
          reason: `device ${r.device.key} is stored as ${device.kind}, reading says ${r.device.kind}`,
        });
        return;
      }
      const rawStart = r.session ? r.session.startedAt : '';
      const startedAt =
        last && last.rawStart === rawStart ? last.startedAt : rawStart ? times.canonical(rawStart) : '';
      // fast path: a batch is mostly one device's one session in a row
      const same = last && last.deviceId === device.id && last.startedAt === startedAt;
      const sessionKey = same ? last!.key : `${device.id}|${startedAt}`;
      let session =
        (same ? last!.session : sessions.get(sessionKey)) ?? getSession(store, device.id, startedAt);
      if (!session) {
        const before = listSessions(store, device.id).at(-1);
        const ids = sessionIds(store, device.key, startedAt);
        session = insertSession(store, {
          device_id: device.id,
          started_at: startedAt,
          expires_at: r.session?.expiresAt ? times.canonical(r.session.expiresAt) : null,
          interval_s: r.session?.intervalSeconds ?? null,
          lower_limit: r.session?.lowerLimit ?? null,
          upper_limit: r.session?.upperLimit ?? null,
          unit: r.unit,
          calibration_state: r.calibration?.state ?? (device.kind === 'cgm' ? 'calibrated' : null),
          calibration_time: r.calibration?.time ?? null,
          device_fhir_id: ids.device,
          metric_fhir_id: ids.metric,
          serial_number: r.device.serialNumber ?? null,
        });
        if (before && before.started_at < startedAt) previousOfNewSessions.push(before);
      }
      if (session.serial_number === null && r.device.serialNumber) {
        setSessionSerial(store, session.id, r.device.serialNumber);
        session = { ...session, serial_number: r.device.serialNumber };
      }
      // A calibration change is a new DeviceMetric version (same id, new versionId).
      if (
        r.calibration &&
        (r.calibration.state !== session.calibration_state ||
          (r.calibration.time ?? null) !== session.calibration_time)
      ) {
        updateSessionCalibration(store, session.id, r.calibration.state, r.calibration.time ?? null);
        session = {
          ...session,
          calibration_state: r.calibration.state,
          calibration_time: r.calibration.time ?? null,
        };
      }
      sessions.set(sessionKey, session);
      last = {
        deviceKey: r.device.key,
        device,
        deviceId: device.id,
        rawStart,
        startedAt,
        key: sessionKey,
        session,
      };
      if (!same || touchedSessions.get(session.id) !== session) touchedSessions.set(session.id, session);

      const effectiveMs = times.parse(r.effectiveAt);
      const value = r.flag === 'error' ? null : r.value;
      const rowId = insertReadingFields(store, device.id, session.id, r, value, receivedMs, effectiveMs);
      if (rowId === null) {
        result.duplicates++;
        return;
      }
      result.stored++;
      if (r.controlSolution) return; // kept for audit, never a patient Observation
      if (device.kind === 'bgm') {
        renderBloodGlucoseReading(
          store,
          device.key,
          session,
          {
            identity: r.identity,
            value,
            unit: r.unit,
            flag: r.flag ?? null,
            specimen: r.specimen,
            effective_ms: effectiveMs,
          },
          nowMs,
        );
      } else {
        const startMs = chunkStart(effectiveMs, chunkMs);
        if (!lastDirty || lastDirty.session.id !== session.id || lastDirty.startMs !== startMs) {
          const key = `${session.id}|${startMs}`;
          lastDirty = dirtyChunks.get(key);
          if (!lastDirty) dirtyChunks.set(key, (lastDirty = { session, startMs, samples: [] }));
        }
        // only what the chunk needs: the full row would be kept alive until the batch ends
        lastDirty.samples!.push({ effective_ms: effectiveMs, value, unit: r.unit, flag: r.flag ?? null });
      }
    });

    // A new sensor session ends the previous one: its Device turns inactive and its open chunks final.
    for (const prev of previousOfNewSessions) {
      touchedSessions.set(prev.id, prev);
      for (const c of openChunksOfSession(store, prev.id)) {
        dirtyChunks.set(`${prev.id}|${c.start_ms}`, { session: prev, startMs: c.start_ms });
      }
    }
    for (const s of touchedSessions.values()) renderSessionResources(store, s, nowMs, mapping);
    for (const { session, startMs, samples } of dirtyChunks.values())
      renderChunk(store, session, startMs, nowMs, mapping, samples);
  });
  return result;
}
