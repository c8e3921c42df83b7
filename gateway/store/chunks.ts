// CGM chunk bookkeeping: which fixed periods of which session exist and whether they are closed.
import type { Store } from './store.ts';

export interface ChunkRow {
  id: number;
  session_id: number;
  start_ms: number;
  end_ms: number;
  fhir_id: string;
  status: 'preliminary' | 'final';
}

export function getChunk(store: Store, sessionId: number, startMs: number): ChunkRow | undefined {
  return store
    .prepare<ChunkRow>('SELECT * FROM cgm_chunks WHERE session_id = ? AND start_ms = ?')
    .get(sessionId, startMs);
}

export function insertChunk(store: Store, c: Omit<ChunkRow, 'id'>): ChunkRow {
  const info = store
    .prepare('INSERT INTO cgm_chunks (session_id, start_ms, end_ms, fhir_id, status) VALUES (?, ?, ?, ?, ?)')
    .run(c.session_id, c.start_ms, c.end_ms, c.fhir_id, c.status);
  return { ...c, id: Number(info.lastInsertRowid) };
}

export function setChunkStatus(store: Store, id: number, status: ChunkRow['status']): void {
  store.prepare('UPDATE cgm_chunks SET status = ? WHERE id = ?').run(status, id);
}

/** Open chunks whose period has ended by `nowMs`: they become final. */
export function chunksToFinalize(store: Store, nowMs: number): ChunkRow[] {
  return store
    .prepare<ChunkRow>("SELECT * FROM cgm_chunks WHERE status = 'preliminary' AND end_ms <= ?")
    .all(nowMs);
}

export function openChunksOfSession(store: Store, sessionId: number): ChunkRow[] {
  return store
    .prepare<ChunkRow>("SELECT * FROM cgm_chunks WHERE session_id = ? AND status = 'preliminary'")
    .all(sessionId);
}

export function listChunks(store: Store, sessionId: number): ChunkRow[] {
  return store
    .prepare<ChunkRow>('SELECT * FROM cgm_chunks WHERE session_id = ? ORDER BY start_ms')
    .all(sessionId);
}
