// The maintenance windows as the running server sees them: read from the store (where `hddt-gateway
// maintenance` writes them, possibly from another process) at most once a second, so the gate on every
// request costs a comparison, and a started window takes effect within a second.
import type { Clock } from '../clock.ts';
import {
  listWindows,
  stateOf,
  type MaintenanceArea,
  type MaintenanceWindow,
} from '../../gateway/store/maintenance.ts';
import type { Store } from '../../gateway/store/store.ts';

/** The feed keeps a finished window for a week, so clients polling it see that it ended and when. */
export const RECENT_MS = 7 * 86_400_000;
const REFRESH_MS = 1_000;
/** Retry-After when a window has no planned end, or its planned end has passed. */
export const DEFAULT_RETRY_SECONDS = 300;

export class MaintenanceBoard {
  private readonly store: Store;
  private readonly clock: Clock;
  private cached: MaintenanceWindow[] = [];
  private readAtMs = -Infinity;

  constructor(store: Store, clock: Clock) {
    this.store = store;
    this.clock = clock;
  }

  /** Planned and running windows, and those ended in the last week. */
  windows(): MaintenanceWindow[] {
    const now = this.clock.now().getTime();
    if (now - this.readAtMs >= REFRESH_MS || now < this.readAtMs) {
      this.cached = listWindows(this.store, now - RECENT_MS);
      this.readAtMs = now;
    }
    return this.cached;
  }

  /** The window in progress that takes `area` down, if any. */
  active(area: MaintenanceArea): MaintenanceWindow | undefined {
    return this.windows().find((w) => stateOf(w) === 'in_progress' && w.areas.includes(area));
  }

  /** Seconds a client should wait: until the planned end (at least a minute), else five minutes. */
  retryAfterSeconds(w: MaintenanceWindow): number {
    const left = w.endMs === null ? 0 : Math.ceil((w.endMs - this.clock.now().getTime()) / 1000);
    return left > 0 ? Math.min(Math.max(left, 60), 86_400) : DEFAULT_RETRY_SECONDS;
  }
}

/** What a 503 during maintenance says (English and German: the patient pages are German). */
export function maintenanceMessage(w: MaintenanceWindow): string {
  const end = w.endMs === null ? 'not yet known' : new Date(w.endMs).toISOString();
  return `Planned maintenance (Wartung) ${w.id}: ${w.cause}; expected end ${end}`;
}
