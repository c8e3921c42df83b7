// What one access token may see: an Observation of the patient's devices inside one of the patient's
// assignment windows, with a granted code, within the historic period; a Device or DeviceMetric only through
// such an Observation (HDDT smart-scopes). Every read and search of the FHIR server goes through these.
import { getResourceVersion, resourceColumnsOf, type ResourceRow } from './resources.ts';
import type { SearchScope, SearchType } from './fhir-search-types.ts';
import { dateClause, oneOf, placeholders, type Sql } from './fhir-sql.ts';
import type { Store } from './store.ts';

/** Granted codes and, per MIV, the historic period. */
export function observationCodes(
  alias: string,
  scope: SearchScope,
  params: unknown[],
  unrolled = false,
): string {
  const groups = scope.groups.filter((g) => g.codes.length > 0);
  if (groups.length === 0) return '0';
  const parts = groups.map((g) => {
    params.push(...g.codes, g.minEffectiveEndMs);
    return `(${oneOf(`${alias}.code`, g.codes.length, unrolled)} AND coalesce(${alias}.effective_end_ms, ${alias}.effective_start_ms) >= ?)`;
  });
  return parts.length === 1 ? parts[0] : `(${parts.join(' OR ')})`;
}

/**
 * "The resource lies inside an assignment window": it starts at or after the window's start and ends by its end.
 * A CGM chunk's end is exclusive (it ends where the next begins); an instant (BG reading, end = start) must lie
 * before the end. A chunk during which the device changed hands lies in neither window and is nobody's.
 */
function insideWindow(alias: string, from: string, until: string): string {
  return `${alias}.effective_start_ms >= ${from} AND (${until} IS NULL OR ${endsBy(alias, until)})`;
}

export function endsBy(alias: string, until: string): string {
  const end = `max(coalesce(${alias}.effective_end_ms, ${alias}.effective_start_ms), ${alias}.effective_start_ms + 1)`;
  return `${end} <= ${until}`;
}

/** The predicate "alias is an Observation the scope may see" (patient and period, granted codes, history). */
function observationVisible(alias: string, scope: SearchScope, params: unknown[]): string {
  params.push(scope.patientId);
  const patient =
    `${alias}.type = 'Observation' AND EXISTS (SELECT 1 FROM assignment_windows w WHERE w.patient_id = ?` +
    ` AND w.device_key = ${alias}.device_key AND ${insideWindow(alias, 'w.from_ms', 'w.until_ms')})`;
  return `${patient} AND ${observationCodes(alias, scope, params)}`;
}

/** The device was the patient's at some time (its Device and DeviceMetric need a visible Observation too). */
function patientDevice(alias: string, scope: SearchScope, params: unknown[]): string {
  params.push(scope.patientId);
  return `${alias}.device_key IN (SELECT device_key FROM device_assignment_periods WHERE patient_id = ?)`;
}

/** Device and DeviceMetric are visible only when an Observation the scope may see references them. */
function deviceVisible(
  alias: string,
  type: 'Device' | 'DeviceMetric',
  scope: SearchScope,
  params: unknown[],
): string {
  const own = patientDevice(alias, scope, params);
  if (type === 'DeviceMetric') {
    const obs = observationVisible('o', scope, params);
    return `${own} AND EXISTS (SELECT 1 FROM resources o WHERE o.ref = 'DeviceMetric/' || ${alias}.id AND ${obs})`;
  }
  const direct = observationVisible('o', scope, params);
  const viaMetric = observationVisible('o2', scope, params);
  return (
    `${own} AND (EXISTS (SELECT 1 FROM resources o WHERE o.ref = 'Device/' || ${alias}.id AND ${direct})` +
    ` OR EXISTS (SELECT 1 FROM resources m WHERE m.type = 'DeviceMetric' AND m.ref = 'Device/' || ${alias}.id` +
    ` AND EXISTS (SELECT 1 FROM resources o2 WHERE o2.ref = 'DeviceMetric/' || m.id AND ${viaMetric})))`
  );
}

export function visible(alias: string, type: SearchType, scope: SearchScope, params: unknown[]): string {
  return type === 'Observation'
    ? observationVisible(alias, scope, params)
    : deviceVisible(alias, type, scope, params);
}

/** A resource the scope may see, or undefined (unknown and out of scope look the same: 404). */
export function readVisible(
  store: Store,
  type: SearchType,
  id: string,
  scope: SearchScope,
): ResourceRow | undefined {
  const params: unknown[] = [type, id];
  const cond = visible('r', type, scope, params);
  return store
    .prepare<ResourceRow>(
      `SELECT ${resourceColumnsOf('r')} FROM resources r WHERE r.type = ? AND r.id = ? AND ${cond}`,
    )
    .get(...params);
}

/** An earlier or the current version of a visible resource. */
export function readVisibleVersion(
  store: Store,
  type: SearchType,
  id: string,
  version: number,
  scope: SearchScope,
): { json: string; version: number; last_updated_ms: number } | undefined {
  const current = readVisible(store, type, id, scope);
  if (!current) return undefined;
  if (current.version === version) return current;
  const old = getResourceVersion(store, type, id, version);
  return old ? { ...old, version } : undefined;
}

/**
 * The target of a reference (`DeviceMetric/x`, `Device/y`) held by a resource the scope may see: by the
 * HDDT rule the target is then visible too, as long as it belongs to the same patient.
 */
export function resolveReference(store: Store, ref: string, scope: SearchScope): ResourceRow | undefined {
  const slash = ref.indexOf('/');
  if (slash < 0) return undefined;
  const type = ref.slice(0, slash);
  if (type !== 'Device' && type !== 'DeviceMetric') return undefined;
  const params: unknown[] = [type, ref.slice(slash + 1)];
  const own = patientDevice('r', scope, params);
  return store
    .prepare<ResourceRow>(
      `SELECT ${resourceColumnsOf('r')} FROM resources r WHERE r.type = ? AND r.id = ? AND ${own}`,
    )
    .get(...params);
}

/** CGM chunk Observations the scope may see whose period overlaps [fromMs, toMs), oldest first. */
export function cgmChunksInRange(
  store: Store,
  scope: SearchScope,
  cgmCodes: readonly string[],
  fromMs: number,
  toMs: number,
): ResourceRow[] {
  const sql: Sql = { where: ["r.type = 'Observation'"], params: [] };
  sql.where.push(observationVisible('r', scope, sql.params));
  sql.where.push(`r.code IN (${placeholders(cgmCodes.length)})`);
  sql.params.push(...cgmCodes);
  dateClause(
    { prefix: 'ap', lo: fromMs, hi: toMs, tolerance: 0 },
    'r.effective_start_ms',
    'r.effective_end_ms',
    sql,
    true,
  );
  return store
    .prepare<ResourceRow>(
      `SELECT ${resourceColumnsOf('r')} FROM resources r WHERE ${sql.where.join(' AND ')} ORDER BY r.effective_start_ms, r.id`,
    )
    .all(...sql.params);
}
