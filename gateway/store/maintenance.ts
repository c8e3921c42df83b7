// Maintenance windows (HDDT §4.6) in the store: the `maintenance` command writes them, the server's status
// feed and maintenance gate read them. A window is planned until started, in progress until ended.
import { randomBytes } from 'node:crypto';
import { namedInsert } from './insert-row.ts';
import type { Store } from './store.ts';

/** What a window can take down: the FHIR API, the authorization server's endpoints, the patient pages. */
export const MAINTENANCE_AREAS = ['fhir', 'oauth', 'account'] as const;
export type MaintenanceArea = (typeof MAINTENANCE_AREAS)[number];

export type MaintenanceState = 'planned' | 'in_progress' | 'completed';

export interface MaintenanceWindow {
  id: string;
  cause: string;
  areas: MaintenanceArea[];
  security: boolean;
  announcedMs: number;
  startMs: number;
  endMs: number | null;
  startedMs: number | null;
  endedMs: number | null;
}

interface WindowRow {
  id: string;
  cause: string;
  areas: string;
  security: number;
  announced_ms: number;
  start_ms: number;
  end_ms: number | null;
  started_ms: number | null;
  ended_ms: number | null;
}

const insertWindow = namedInsert<WindowRow>('maintenance_windows', [
  'id',
  'cause',
  'areas',
  'security',
  'announced_ms',
  'start_ms',
  'end_ms',
  'started_ms',
  'ended_ms',
]);

export function stateOf(w: MaintenanceWindow): MaintenanceState {
  if (w.endedMs !== null) return 'completed';
  return w.startedMs !== null ? 'in_progress' : 'planned';
}

function fromRow(r: WindowRow): MaintenanceWindow {
  return {
    id: r.id,
    cause: r.cause,
    areas: JSON.parse(r.areas) as MaintenanceArea[],
    security: r.security === 1,
    announcedMs: r.announced_ms,
    startMs: r.start_ms,
    endMs: r.end_ms,
    startedMs: r.started_ms,
    endedMs: r.ended_ms,
  };
}

export interface NewWindow {
  cause: string;
  areas: MaintenanceArea[];
  security: boolean;
  startMs: number;
  endMs: number | null;
  /** Set when the window starts at once (`maintenance start` without an announced one). */
  started?: boolean;
}

export function addWindow(store: Store, w: NewWindow, nowMs: number): MaintenanceWindow {
  const row: WindowRow = {
    id: `mw-${randomBytes(6).toString('hex')}`,
    cause: w.cause,
    areas: JSON.stringify(w.areas),
    security: w.security ? 1 : 0,
    announced_ms: nowMs,
    start_ms: w.startMs,
    end_ms: w.endMs,
    started_ms: w.started ? nowMs : null,
    ended_ms: null,
  };
  insertWindow(store, row);
  return fromRow(row);
}

export function getWindow(store: Store, id: string): MaintenanceWindow | undefined {
  const r = store.prepare<WindowRow>('SELECT * FROM maintenance_windows WHERE id = ?').get(id);
  return r ? fromRow(r) : undefined;
}

/** Windows not ended, and those ended after `sinceMs` (the feed shows recent ones), oldest start first. */
export function listWindows(store: Store, sinceMs: number): MaintenanceWindow[] {
  return store
    .prepare<WindowRow>(
      'SELECT * FROM maintenance_windows WHERE ended_ms IS NULL OR ended_ms >= ? ORDER BY start_ms, id',
    )
    .all(sinceMs)
    .map(fromRow);
}

/** Marks a planned window started now; false when it is not planned. */
export function startWindow(store: Store, id: string, nowMs: number): boolean {
  return (
    store
      .prepare(
        'UPDATE maintenance_windows SET started_ms = ?, start_ms = ? WHERE id = ? AND started_ms IS NULL AND ended_ms IS NULL',
      )
      .run(nowMs, nowMs, id).changes === 1
  );
}

/** Ends a window (a planned one is thereby cancelled); false when it has ended already. */
export function endWindow(store: Store, id: string, nowMs: number): boolean {
  return (
    store
      .prepare('UPDATE maintenance_windows SET ended_ms = ? WHERE id = ? AND ended_ms IS NULL')
      .run(nowMs, id).changes === 1
  );
}
