// The "render and write" step of ingest and of the time keeper: gathers the facts of what was stored (device,
// session, chunk samples) from the store, has the pure hddt/ drafts render them, and writes them with
// putResource (which skips unchanged renders). Every function returns the rows it wrote, for the queue step.
import { chunkDraft, bloodGlucoseDraft, sessionDrafts, type BloodGlucoseFacts } from '../hddt/drafts.ts';
import { chunkStart, type ChunkSample } from '../hddt/cgm-chunk.ts';
import { resourceId } from '../hddt/ids.ts';
import { deviceStatusOf, type MappingOptions } from '../hddt/mapping.ts';
import type { DeviceKind, GlucoseUnit } from '../readings/reading.ts';
import { getChunk, insertChunk, listChunks, setChunkStatus, type ChunkRow } from '../store/chunks.ts';
import { getDeviceById, nextSession, type DeviceRow, type SessionRow } from '../store/devices.ts';
import { sessionSamplesInRange, type SampleRow } from '../store/readings.ts';
import { putResource, type ResourceRow } from '../store/resources.ts';
import type { Store } from '../store/store.ts';

const DAY = 86_400_000;

export function sessionIds(store: Store, deviceKey: string, startedAt: string) {
  const secret = store.idSecret();
  return {
    device: resourceId(secret, 'Device', deviceKey, startedAt),
    metric: resourceId(secret, 'DeviceMetric', deviceKey, startedAt),
  };
}

function bloodGlucoseId(store: Store, deviceKey: string, identity: string): string {
  return resourceId(store.idSecret(), 'Observation', deviceKey, identity);
}

export function chunkId(store: Store, metricId: string, startMs: number): string {
  return resourceId(store.idSecret(), 'Observation', 'cgm-chunk', metricId, String(startMs));
}

/**
 * When a session stops recording: its sensor's expiry or the start of the device's next session. A session
 * with a newer one is over whenever that one starts (a sensor is replaced, never run beside another).
 */
function sessionEnd(store: Store, s: SessionRow): { endMs: number; superseded: boolean } {
  const next = nextSession(store, s);
  const ends = [s.expires_at, next?.started_at].filter((t): t is string => !!t).map((t) => Date.parse(t));
  return {
    endMs: Math.min(Infinity, ...ends.filter((t) => Number.isFinite(t))),
    superseded: next !== undefined,
  };
}

function sessionEnded(store: Store, s: SessionRow, nowMs: number): boolean {
  const end = sessionEnd(store, s);
  return end.superseded || end.endMs <= nowMs;
}

const written = (rows: Array<ResourceRow | null>): ResourceRow[] =>
  rows.filter((r): r is ResourceRow => r !== null);

const facts = (device: DeviceRow) => ({ ...device, kind: device.kind as DeviceKind });

/** The session's Device and DeviceMetric, with the status the clock gives them now. */
export function writeSessionResources(
  store: Store,
  s: SessionRow,
  nowMs: number,
  opts: MappingOptions,
): ResourceRow[] {
  const device = getDeviceById(store, s.device_id)!;
  const status = deviceStatusOf(
    { sessionEnded: sessionEnded(store, s, nowMs), lastSeenMs: device.last_seen_ms },
    nowMs,
    opts,
  );
  return written(sessionDrafts(facts(device), s, status).map((d) => putResource(store, d, nowMs)));
}

export function writeBloodGlucose(
  store: Store,
  device: DeviceRow,
  s: SessionRow,
  r: Omit<BloodGlucoseFacts, 'id'>,
  nowMs: number,
): ResourceRow[] {
  const id = bloodGlucoseId(store, device.key, r.identity);
  return written([putResource(store, bloodGlucoseDraft(facts(device), s, { ...r, id }), nowMs)]);
}

/**
 * Creates or re-renders the chunk of `s` that starts at `startMs`. `batchSamples`: the samples this batch
 * stored in it; when the chunk is new they are all it has, so nothing is read back.
 */
export function writeChunk(
  store: Store,
  s: SessionRow,
  startMs: number,
  nowMs: number,
  opts: MappingOptions,
  batchSamples?: SampleRow[],
): ResourceRow[] {
  const endMs = startMs + opts.chunkMinutes * 60_000;
  const chunk = chunkRow(store, s, startMs, endMs, nowMs >= endMs || sessionEnded(store, s, nowMs));
  const rows =
    chunk.isNew && batchSamples
      ? [...batchSamples].sort((a, b) => a.effective_ms - b.effective_ms)
      : sessionSamplesInRange(store, s.id, startMs, endMs);
  const samples: ChunkSample[] = rows.map((r) => ({
    effectiveMs: r.effective_ms,
    value: r.value,
    unit: r.unit as GlucoseUnit,
    flag: r.flag as ChunkSample['flag'],
  }));
  const device = getDeviceById(store, s.device_id)!;
  const draft = chunkDraft(
    facts(device),
    s,
    { id: chunk.row.fhir_id, startMs, endMs, status: chunk.row.status, samples },
    opts,
  );
  return written([putResource(store, draft, nowMs)]);
}

/** The chunk's row (made when new); final once its period or its session ended. */
function chunkRow(
  store: Store,
  s: SessionRow,
  startMs: number,
  endMs: number,
  final: boolean,
): { row: ChunkRow; isNew: boolean } {
  const chunk = getChunk(store, s.id, startMs);
  if (!chunk) {
    const row = insertChunk(store, {
      session_id: s.id,
      start_ms: startMs,
      end_ms: endMs,
      fhir_id: chunkId(store, s.metric_fhir_id, startMs),
      status: final ? 'final' : 'preliminary',
    });
    return { row, isNew: true };
  }
  if (final && chunk.status !== 'final') {
    setChunkStatus(store, chunk.id, 'final');
    return { row: { ...chunk, status: 'final' }, isNew: false };
  }
  return { row: chunk, isNew: false };
}

/**
 * The chunks of a CGM session that no sample created: every chunk period from the session's start up to now
 * (or its end) gets its Observation, so an hour without data is served as `temp-unknown` while it is open
 * (HDDT), not as nothing. It turns final at its end like any chunk (slots `E`); samples arriving later
 * re-render it under the same id with a new version. Nothing before the historic data period: retention
 * deleted those chunks and must not see them come back.
 */
export function writeEmptyChunks(
  store: Store,
  s: SessionRow,
  nowMs: number,
  opts: MappingOptions,
): ResourceRow[] {
  const startMs = Date.parse(s.started_at);
  if (!Number.isFinite(startMs)) return [];
  const chunkMs = opts.chunkMinutes * 60_000;
  const cutoffMs = nowMs - (opts.cgmHistoricDays ?? 30) * DAY;
  const first = chunkStart(Math.max(startMs, cutoffMs), chunkMs);
  const last = Math.min(nowMs, sessionEnd(store, s).endMs - 1);
  if (first > last) return [];
  const have = new Set(listChunks(store, s.id).map((c) => c.start_ms));
  const out: ResourceRow[] = [];
  for (let t = first; t <= last; t += chunkMs)
    if (!have.has(t)) out.push(...writeChunk(store, s, t, nowMs, opts));
  return out;
}
