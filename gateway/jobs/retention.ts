// The purge job: readings and resources past their MIV's historic data period are deleted, a few hundred
// rows per transaction with a yield between, so FHIR requests are never blocked for long.
// A read of a purged resource then answers 404 (HDDT's endpoint pages; we do not use 410).
import {
  purgeChunksBatch,
  purgeEmptySessions,
  purgeObservationsBatch,
  purgeReadingsBatch,
  type PurgeCounts,
} from '../store/retention.ts';
import type { Store } from '../store/store.ts';
import { chunkStart } from '../hddt/cgm-chunk.ts';
import { MIV_CODES } from '../hddt/codes.ts';

export interface RetentionOptions {
  historicDataPeriodDays: { bloodGlucose: number; cgm: number };
  chunkMinutes: number;
  batchSize?: number;
}

const DAY = 86_400_000;
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

export function retentionCutoffs(opts: RetentionOptions, nowMs: number) {
  return {
    bloodGlucose: nowMs - opts.historicDataPeriodDays.bloodGlucose * DAY,
    cgm: nowMs - opts.historicDataPeriodDays.cgm * DAY,
  };
}

export async function purgeExpired(
  store: Store,
  opts: RetentionOptions,
  nowMs: number,
): Promise<PurgeCounts> {
  const limit = opts.batchSize ?? 500;
  const cut = retentionCutoffs(opts, nowMs);
  const counts: PurgeCounts = { readings: 0, observations: 0, chunks: 0, sessions: 0 };
  const drain = async (step: () => number, key: keyof PurgeCounts) => {
    for (;;) {
      const n = store.transaction(step);
      counts[key] += n;
      if (n < limit) return;
      await tick();
    }
  };
  await drain(
    () => purgeObservationsBatch(store, MIV_CODES.bloodGlucose, cut.bloodGlucose, limit),
    'observations',
  );
  await drain(() => purgeObservationsBatch(store, MIV_CODES.cgm, cut.cgm, limit), 'observations');
  // a chunk goes when its whole period is past the cutoff; its readings with it
  await drain(() => purgeChunksBatch(store, cut.cgm, limit), 'chunks');
  await drain(() => purgeReadingsBatch(store, 'bgm', cut.bloodGlucose, limit), 'readings');
  // CGM readings of the chunk that straddles the cutoff stay with their chunk
  const cgmReadingsCut = chunkStart(cut.cgm, opts.chunkMinutes * 60_000);
  await drain(() => purgeReadingsBatch(store, 'cgm', cgmReadingsCut, limit), 'readings');
  counts.sessions = store.transaction(() => purgeEmptySessions(store, Math.min(cut.cgm, cut.bloodGlucose)));
  return counts;
}
