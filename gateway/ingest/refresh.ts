// The time keeper's pipeline: what changes with the clock alone, rendered and written like ingest's resources
// and queued for sync in the same transaction. Chunks whose period ended become final, CGM chunk periods without
// samples get their temp-unknown chunk, Devices not heard from become `unknown`, expired sensors `inactive`.
// Run periodically; cheap when nothing changed.
import type { MappingOptions } from '../hddt/mapping.ts';
import { chunksToFinalize } from '../store/chunks.ts';
import { getSessionById, listDevices, listSessions } from '../store/devices.ts';
import type { ResourceRow } from '../store/resources.ts';
import type { Store } from '../store/store.ts';
import { queueForSync } from './queue.ts';
import { writeChunk, writeEmptyChunks, writeSessionResources } from './resources.ts';

export function refreshTimeDependent(store: Store, nowMs: number, opts: MappingOptions): void {
  store.transaction(() => {
    const written: ResourceRow[] = [];
    for (const c of chunksToFinalize(store, nowMs)) {
      written.push(...writeChunk(store, getSessionById(store, c.session_id)!, c.start_ms, nowMs, opts));
    }
    for (const d of listDevices(store)) {
      for (const s of listSessions(store, d.id)) {
        written.push(...writeSessionResources(store, s, nowMs, opts));
        if (d.kind === 'cgm') written.push(...writeEmptyChunks(store, s, nowMs, opts));
      }
    }
    queueForSync(store, written);
  });
}
