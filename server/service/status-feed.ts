// The public status feed (HDDT §4.6: status, planned maintenance with start, end, cause and affected
// endpoints, next update), built from the maintenance windows. HDDT fixes no format; the members are the ones
// docs/operations.md names and the conformance kit reads.
import { stateOf, type MaintenanceArea, type MaintenanceWindow } from '../../gateway/store/maintenance.ts';

/** How often a client should look again when nothing is scheduled sooner. */
export const POLL_MS = 15 * 60_000;

export interface FeedUrls {
  /** Public base URL (the issuer). */
  base: string;
  /** Path of the FHIR API, e.g. /fhir. */
  fhirBase: string;
}

export function areaEndpoints(area: MaintenanceArea, urls: FeedUrls): string[] {
  if (area === 'fhir') return [`${urls.base}${urls.fhirBase}`];
  if (area === 'oauth') return ['/par', '/authorize', '/token', '/revoke'].map((p) => `${urls.base}${p}`);
  return [`${urls.base}/account`];
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function feedWindow(w: MaintenanceWindow, urls: FeedUrls) {
  return {
    id: w.id,
    state: stateOf(w),
    start: iso(w.startedMs ?? w.startMs),
    end: iso(w.endedMs ?? w.endMs),
    cause: w.cause,
    affected_endpoints: w.areas.flatMap((a) => areaEndpoints(a, urls)),
    announced: iso(w.announcedMs),
    security: w.security,
  };
}

/** The next moment the feed will change on its own: a planned start or end, or the regular poll. */
function nextUpdateMs(windows: MaintenanceWindow[], nowMs: number): number {
  const times = windows.flatMap((w) => {
    const s = stateOf(w);
    if (s === 'planned') return [w.startMs];
    return s === 'in_progress' && w.endMs !== null ? [w.endMs] : [];
  });
  return Math.min(nowMs + POLL_MS, ...times.filter((t) => t > nowMs));
}

export function statusFeed(windows: MaintenanceWindow[], nowMs: number, urls: FeedUrls) {
  const inProgress = windows.some((w) => stateOf(w) === 'in_progress');
  return {
    status: inProgress ? 'maintenance' : 'operational',
    updated: new Date(nowMs).toISOString(),
    next_update: new Date(nextUpdateMs(windows, nowMs)).toISOString(),
    maintenance: windows.map((w) => feedWindow(w, urls)),
  };
}
