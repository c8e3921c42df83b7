// ingest(): the one door into the store, a pipeline of named steps in one transaction (when it returns, the
// batch is durable): validate → store readings (dedup by device and record identity) → render the resources
// they touched with the pure hddt/ drafts and write them → queue what was written for sync.
import type { MappingOptions } from '../hddt/mapping.ts';
import type { IngestResult, Reading } from '../readings/reading.ts';
import { TimeCache } from '../readings/time-cache.ts';
import { validateReading } from '../readings/validate.ts';
import type { ResourceRow } from '../store/resources.ts';
import type { Store } from '../store/store.ts';
import { queueForSync } from './queue.ts';
import { writeBloodGlucose, writeChunk, writeSessionResources } from './resources.ts';
import { storeReadings, type StoredChanges } from './store-readings.ts';

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
  const result: IngestResult = { stored: 0, duplicates: 0, rejected: [] };
  if (opts.retention) result.expired = 0;
  const cutoff = opts.retention && {
    bgm: nowMs - opts.retention.bloodGlucose * 86_400_000,
    cgm: nowMs - opts.retention.cgm * 86_400_000,
  };
  store.transaction(() => {
    const times = new TimeCache();
    const reasons = readings.map((r) => validateReading(r, times));
    const changes = storeReadings(
      store,
      readings,
      reasons,
      times,
      { chunkMs: mapping.chunkMinutes * 60_000, cutoff },
      result,
    );
    const written = writeResources(store, changes, nowMs, mapping);
    queueForSync(store, written);
  });
  return result;
}

/** The render-and-write step: Observations of blood glucose readings, session resources, touched chunks. */
function writeResources(
  store: Store,
  changes: StoredChanges,
  nowMs: number,
  mapping: MappingOptions,
): ResourceRow[] {
  const written: ResourceRow[] = [];
  for (const { device, session, reading } of changes.bloodGlucose)
    written.push(...writeBloodGlucose(store, device, session, reading, nowMs));
  for (const s of changes.sessions.values()) written.push(...writeSessionResources(store, s, nowMs, mapping));
  for (const { session, startMs, samples } of changes.chunks.values())
    written.push(...writeChunk(store, session, startMs, nowMs, mapping, samples));
  return written;
}
