// The recorder port over a SQLite store (a recorder in one process, or several on one machine: WAL and the
// busy timeout serialize their IMMEDIATE transactions). Synchronous underneath; the promises are settled when
// the transaction has committed.
import type { Store } from '../store/store.ts';
import {
  addAppliedRange,
  applyAssignment,
  applyPeriod,
  applyResourceVersion,
  noteStream,
  parkPayload,
  rangeApplied,
  streamProgress,
} from '../store/sync-inbox.ts';
import type { InboxBatch, InboxOutcome, RecorderStore, StreamProgress } from './recorder-store.ts';

function applyNow(store: Store, b: InboxBatch, nowMs: number): InboxOutcome {
  const out: InboxOutcome = { duplicate: false, written: 0, olderOrSame: 0, conflicts: [] };
  return store.transaction(() => {
    noteStream(store, b.gw, b.stream, b.floor, nowMs);
    if (rangeApplied(store, b.gw, b.stream, b.from, b.to)) return { ...out, duplicate: true };
    for (const r of b.resources) {
      const outcome = applyResourceVersion(store, r.row, b.namespace);
      if (outcome === 'written') out.written++;
      else if (outcome === 'conflict') {
        const c = { reason: `${r.row.type}/${r.row.id} belongs to another gateway`, payload: r.payload() };
        parkPayload(store, b.topic, c.reason, c.payload, nowMs);
        out.conflicts.push(c);
      } else out.olderOrSame++;
    }
    for (const a of b.assignments) {
      if (a.kind === 'period') applyPeriod(store, a.device, a.patient, a.from, a.until, a.at);
      else applyAssignment(store, a.device, a.patient, b.stream, a.seq, a.at);
    }
    addAppliedRange(store, b.gw, b.stream, b.from, b.to);
    return out;
  });
}

export function sqliteRecorder(store: Store): RecorderStore {
  return {
    kind: 'sqlite',
    get open() {
      return store.db.open;
    },
    applyBatch: async (b, nowMs) => applyNow(store, b, nowMs),
    park: async (topic, reason, payload, nowMs) => parkPayload(store, topic, reason, payload, nowMs),
    progress: async (gw, stream): Promise<StreamProgress> => streamProgress(store, gw, stream),
  };
}
