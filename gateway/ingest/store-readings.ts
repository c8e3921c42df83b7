// The "store readings" step of ingest: each valid reading is stored once (dedup by device and record identity),
// with its device and sensor session, and what it changed is collected for the render step: blood glucose
// readings, the CGM chunks that got samples, the sessions whose Device/DeviceMetric may change.
import { chunkStart } from '../hddt/cgm-chunk.ts';
import type { BloodGlucoseFacts } from '../hddt/drafts.ts';
import type { IngestResult, Reading } from '../readings/reading.ts';
import type { TimeCache } from '../readings/time-cache.ts';
import { openChunksOfSession } from '../store/chunks.ts';
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
import { insertReadingFields, type SampleRow } from '../store/readings.ts';
import type { Store } from '../store/store.ts';
import { sessionIds } from './resources.ts';

export interface DirtyChunk {
  session: SessionRow;
  startMs: number;
  /** The samples this batch stored in the chunk (absent for chunks only to be finalised). */
  samples?: SampleRow[];
}

/** What the stored readings changed, for the render step. */
export interface StoredChanges {
  bloodGlucose: Array<{ device: DeviceRow; session: SessionRow; reading: Omit<BloodGlucoseFacts, 'id'> }>;
  sessions: Map<number, SessionRow>;
  chunks: Map<string, DirtyChunk>;
}

interface Current {
  deviceKey: string;
  device: DeviceRow;
  rawStart: string;
  startedAt: string;
  key: string;
  session: SessionRow;
}

export interface StoreStepOptions {
  chunkMs: number;
  /** Records whose effective time is before their kind's cutoff are expired, not stored. */
  cutoff?: { bgm: number; cgm: number };
}

/** Stores the valid readings (`reasons[i]` null) and returns what they changed; counts into `result`. */
export function storeReadings(
  store: Store,
  readings: Reading[],
  reasons: Array<string | null>,
  times: TimeCache,
  opts: StoreStepOptions,
  result: IngestResult,
): StoredChanges {
  const step = new StoreStep(store, times, opts, newestReceivedOf(readings, reasons, times));
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
    if (opts.cutoff && times.parse(r.effectiveAt) < opts.cutoff[r.device.kind]) {
      result.expired!++;
      return;
    }
    const outcome = step.store(r);
    if (outcome === 'stored') result.stored++;
    else if (outcome === 'duplicate') result.duplicates++;
    else result.rejected.push({ index, identity: r.identity, reason: outcome.reason });
  });
  return step.finish();
}

/** The newest receive time per device of the batch: a device's last_seen only moves forward, once per batch. */
function newestReceivedOf(
  readings: Reading[],
  reasons: Array<string | null>,
  times: TimeCache,
): Map<string, number> {
  const newest = new Map<string, number>();
  readings.forEach((r, i) => {
    if (reasons[i]) return;
    const ms = times.parse(r.receivedAt);
    if (ms > (newest.get(r.device.key) ?? -Infinity)) newest.set(r.device.key, ms);
  });
  return newest;
}

class StoreStep {
  private readonly devices = new Map<string, DeviceRow>();
  private readonly sessions = new Map<string, SessionRow>();
  private readonly previousOfNewSessions: SessionRow[] = [];
  private readonly changes: StoredChanges = { bloodGlucose: [], sessions: new Map(), chunks: new Map() };
  /** A batch is mostly one device's one session in a row: the last one found is kept at hand. */
  private last: Current | undefined;
  private lastDirty: DirtyChunk | undefined;

  private readonly db: Store;
  private readonly times: TimeCache;
  private readonly opts: StoreStepOptions;
  private readonly newestReceived: Map<string, number>;

  constructor(db: Store, times: TimeCache, opts: StoreStepOptions, newestReceived: Map<string, number>) {
    this.db = db;
    this.times = times;
    this.opts = opts;
    this.newestReceived = newestReceived;
  }

  store(r: Reading): 'stored' | 'duplicate' | { reason: string } {
    const device = this.deviceOf(r);
    if (device.kind !== r.device.kind) {
      return { reason: `device ${r.device.key} is stored as ${device.kind}, reading says ${r.device.kind}` };
    }
    const session = this.sessionOf(r, device);
    const effectiveMs = this.times.parse(r.effectiveAt);
    const value = r.flag === 'error' ? null : r.value;
    const receivedMs = this.times.parse(r.receivedAt);
    if (insertReadingFields(this.db, device.id, session.id, r, value, receivedMs, effectiveMs) === null) {
      return 'duplicate';
    }
    // kept for audit, never a patient Observation (a ketone test is not glucose)
    if (r.controlSolution || r.analyte === 'ketone') return 'stored';
    if (device.kind === 'bgm') {
      const reading = {
        identity: r.identity,
        value,
        unit: r.unit,
        flag: r.flag ?? null,
        specimen: r.specimen,
      };
      this.changes.bloodGlucose.push({ device, session, reading: { ...reading, effectiveMs } });
    } else
      this.addSample(session, effectiveMs, {
        effective_ms: effectiveMs,
        value,
        unit: r.unit,
        flag: r.flag ?? null,
      });
    return 'stored';
  }

  private deviceOf(r: Reading): DeviceRow {
    const key = r.device.key;
    let device = this.last?.deviceKey === key ? this.last.device : this.devices.get(key);
    if (!device) {
      const seen = this.newestReceived.get(key) ?? this.times.parse(r.receivedAt);
      device = upsertDevice(this.db, r.device, seen);
      this.devices.set(key, device);
    }
    return device;
  }

  /** The reading's session (made when new), with its serial and calibration brought up to date. */
  private sessionOf(r: Reading, device: DeviceRow): SessionRow {
    const rawStart = r.session ? r.session.startedAt : '';
    const last = this.last;
    const startedAt =
      last && last.rawStart === rawStart ? last.startedAt : rawStart ? this.times.canonical(rawStart) : '';
    const same = last !== undefined && last.device.id === device.id && last.startedAt === startedAt;
    const key = same ? last.key : `${device.id}|${startedAt}`;
    let session =
      (same ? last.session : this.sessions.get(key)) ??
      getSession(this.db, device.id, startedAt) ??
      this.newSession(r, device, startedAt);
    if (session.serial_number === null && r.device.serialNumber) {
      setSessionSerial(this.db, session.id, r.device.serialNumber);
      session = { ...session, serial_number: r.device.serialNumber };
    }
    // A calibration change is a new DeviceMetric version (same id, new versionId).
    if (
      r.calibration &&
      (r.calibration.state !== session.calibration_state ||
        (r.calibration.time ?? null) !== session.calibration_time)
    ) {
      updateSessionCalibration(this.db, session.id, r.calibration.state, r.calibration.time ?? null);
      session = {
        ...session,
        calibration_state: r.calibration.state,
        calibration_time: r.calibration.time ?? null,
      };
    }
    this.sessions.set(key, session);
    this.last = { deviceKey: r.device.key, device, rawStart, startedAt, key, session };
    if (!same || this.changes.sessions.get(session.id) !== session)
      this.changes.sessions.set(session.id, session);
    return session;
  }

  private newSession(r: Reading, device: DeviceRow, startedAt: string): SessionRow {
    const before = listSessions(this.db, device.id).at(-1);
    const ids = sessionIds(this.db, device.key, startedAt);
    const session = insertSession(this.db, {
      device_id: device.id,
      started_at: startedAt,
      expires_at: r.session?.expiresAt ? this.times.canonical(r.session.expiresAt) : null,
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
    if (before && before.started_at < startedAt) this.previousOfNewSessions.push(before);
    return session;
  }

  private addSample(session: SessionRow, effectiveMs: number, sample: SampleRow): void {
    const startMs = chunkStart(effectiveMs, this.opts.chunkMs);
    let dirty = this.lastDirty;
    if (!dirty || dirty.session.id !== session.id || dirty.startMs !== startMs) {
      const key = `${session.id}|${startMs}`;
      dirty = this.changes.chunks.get(key);
      if (!dirty) this.changes.chunks.set(key, (dirty = { session, startMs, samples: [] }));
      this.lastDirty = dirty;
    }
    // only what the chunk needs: the full row would be kept alive until the batch ends
    dirty.samples!.push(sample);
  }

  /** A new sensor session ends the previous one: its Device turns inactive and its open chunks final. */
  finish(): StoredChanges {
    for (const prev of this.previousOfNewSessions) {
      this.changes.sessions.set(prev.id, prev);
      for (const c of openChunksOfSession(this.db, prev.id)) {
        this.changes.chunks.set(`${prev.id}|${c.start_ms}`, { session: prev, startMs: c.start_ms });
      }
    }
    return this.changes;
  }
}
