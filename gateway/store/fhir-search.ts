// FHIR search over the `resources` table: a parameterized query builder with keyset pagination, plus the
// scope checks (patient, granted MIV codes, historic period) every read and search goes through.
// The FHIR layer (server/fhir) parses parameters into a StoreSearch; nothing here knows HTTP.
import { windowsOfPatient, type AssignmentWindow } from './assignments.ts';
import { boundLimit, type Store } from './store.ts';
import { RESOURCE_COLUMNS, resourceColumnsOf, type ResourceRow } from './resources.ts';

export type SearchType = 'Observation' | 'Device' | 'DeviceMetric';

/** What one access token may see: a patient and, per granted MIV, its codes and the oldest data served. */
export interface SearchScope {
  patientId: string;
  groups: Array<{ codes: readonly string[]; minEffectiveEndMs: number }>;
}

/** A time range [lo, hi) in ms compared with a resource's range per an R4 prefix. */
export interface DateCond {
  prefix: 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';
  lo: number;
  hi: number;
  /** `ap` only: widening on each side. */
  tolerance?: number;
}

/**
 * value-quantity, already converted per stored unit (null = any unit): `eq`/`ne`/`ap` compare with the
 * implicit range [lo, hi), the other prefixes with the exact value `v`.
 */
export interface QuantityCond {
  prefix: DateCond['prefix'];
  ranges: Array<{ unit: string | null; v: number; lo: number; hi: number }>;
}

export interface StringCond {
  value: string;
  mode: 'starts' | 'exact' | 'contains';
}

export interface SortSpec {
  key: 'date' | 'lastUpdated' | 'id';
  desc: boolean;
}

export interface Cursor {
  /** Sort value of the row the page continues from (number for date/lastUpdated, id string for id). */
  v: number | string;
  id: string;
  dir: 'next' | 'prev';
}

/** Each inner array is OR, the outer array AND (repeated parameters), as in FHIR. */
export interface StoreSearch {
  type: SearchType;
  scope: SearchScope;
  ids?: string[][];
  codes?: string[][];
  dates?: DateCond[];
  lastUpdated?: DateCond[];
  values?: QuantityCond[];
  deviceNames?: StringCond[][];
  manufacturers?: StringCond[][];
  types?: string[][];
  sources?: string[][];
  sort: SortSpec;
  cursor?: Cursor;
  count: number;
}

export interface SearchPage {
  rows: ResourceRow[];
  /** More rows exist after the last row in sort order. */
  hasNext: boolean;
  /** More rows exist before the first row in sort order. */
  hasPrev: boolean;
}

/** A CGM chunk or BG reading never spans more than a day (hddt.chunkMinutes ≤ 1440): lets date searches use the index. */
export const MAX_OBSERVATION_SPAN_MS = 86_400_000;

interface Sql {
  where: string[];
  params: unknown[];
}

const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/**
 * `expr IN (?, ...)` for n values; `unrolled`, the same as `(expr = ? OR ...)`. The merged per-device arms of
 * observationKeysOfWindows need the unrolled form: in an arm of a merged UNION ALL, SQLite builds an IN
 * list's lookup table again each time the arm's co-routine resumes, that is for every row (measured: the
 * granted-codes IN lists took two thirds of a page's key query, about 2.5 µs a row).
 */
function oneOf(expr: string, n: number, unrolled: boolean): string {
  if (!unrolled) return `${expr} IN (${placeholders(n)})`;
  return n === 1 ? `${expr} = ?` : `(${Array.from({ length: n }, () => `${expr} = ?`).join(' OR ')})`;
}

/** Granted codes and, per MIV, the historic period. */
function observationCodes(alias: string, scope: SearchScope, params: unknown[], unrolled = false): string {
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

function endsBy(alias: string, until: string): string {
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

function visible(alias: string, type: SearchType, scope: SearchScope, params: unknown[]): string {
  return type === 'Observation'
    ? observationVisible(alias, scope, params)
    : deviceVisible(alias, type, scope, params);
}

/**
 * R4 date comparison of the resource range [rl, rh] (inclusive) with the parameter range [lo, hi).
 * `sargable` adds a redundant bound on `startCol` so the (device_key, type, effective_start_ms) index applies.
 */
function dateClause(c: DateCond, startCol: string, endCol: string, sql: Sql, sargable: boolean): void {
  const rl = startCol;
  // A CGM chunk ends where the next begins, so a period's end is exclusive (the last ms inside is end − 1);
  // an instant (BG reading, lastUpdated) has start = end.
  const rh = startCol === endCol ? startCol : `max(coalesce(${endCol}, ${startCol}) - 1, ${startCol})`;
  const span = sargable ? MAX_OBSERVATION_SPAN_MS : null;
  const lower = (bound: number) => {
    if (span !== null) {
      sql.where.push(`${rl} >= ?`);
      sql.params.push(bound - span);
    }
  };
  switch (c.prefix) {
    case 'eq':
      sql.where.push(`${rl} >= ? AND ${rh} < ?`);
      sql.params.push(c.lo, c.hi);
      return;
    case 'ne':
      sql.where.push(`NOT (${rl} >= ? AND ${rh} < ?)`);
      sql.params.push(c.lo, c.hi);
      return;
    case 'gt':
      sql.where.push(`${rh} >= ?`);
      sql.params.push(c.hi);
      lower(c.hi);
      return;
    case 'ge':
      sql.where.push(`${rh} >= ?`);
      sql.params.push(c.lo);
      lower(c.lo);
      return;
    case 'lt':
      sql.where.push(`${rl} < ?`);
      sql.params.push(c.lo);
      return;
    case 'le':
      sql.where.push(`${rl} < ?`);
      sql.params.push(c.hi);
      return;
    case 'sa':
      sql.where.push(`${rl} >= ?`);
      sql.params.push(c.hi);
      return;
    case 'eb':
      sql.where.push(`${rh} < ?`);
      sql.params.push(c.lo);
      return;
    case 'ap': {
      const tol = c.tolerance ?? 0;
      sql.where.push(`${rl} < ? AND ${rh} >= ?`);
      sql.params.push(c.hi + tol, c.lo - tol);
      lower(c.lo - tol);
      return;
    }
  }
}

function numberClause(
  prefix: DateCond['prefix'],
  r: QuantityCond['ranges'][number],
  col: string,
  params: unknown[],
): string {
  switch (prefix) {
    case 'eq':
    case 'ap':
      params.push(r.lo, r.hi);
      return `(${col} >= ? AND ${col} < ?)`;
    case 'ne':
      params.push(r.lo, r.hi);
      return `NOT (${col} >= ? AND ${col} < ?)`;
    case 'gt':
    case 'sa':
      params.push(r.v);
      return `${col} > ?`;
    case 'ge':
      params.push(r.v);
      return `${col} >= ?`;
    case 'lt':
    case 'eb':
      params.push(r.v);
      return `${col} < ?`;
    case 'le':
      params.push(r.v);
      return `${col} <= ?`;
  }
}

function stringClause(expr: string, c: StringCond, params: unknown[]): string {
  if (c.mode === 'exact') {
    params.push(c.value);
    return `${expr} = ?`;
  }
  const escaped = c.value.replace(/[\\%_]/g, (m) => `\\${m}`);
  params.push(c.mode === 'starts' ? `${escaped}%` : `%${escaped}%`);
  // LIKE is case-insensitive for ASCII, as R4 string search asks.
  return `${expr} LIKE ? ESCAPE '\\'`;
}

function orList(parts: string[]): string {
  return parts.length === 1 ? parts[0] : `(${parts.join(' OR ')})`;
}

function sortColumn(key: SortSpec['key']): string {
  return key === 'date' ? 'r.effective_start_ms' : key === 'lastUpdated' ? 'r.last_updated_ms' : 'r.id';
}

/**
 * The WHERE of a search; with `window` (Observations only) the patient check becomes "this device in this
 * window" (the caller bounds the start). `sargable` = false leaves out the redundant start bounds of the date
 * conditions (the caller adds its own).
 */
function buildWhere(q: StoreSearch, window?: AssignmentWindow, sargable = true): Sql {
  const sql: Sql = { where: [], params: [] };
  // A window's arm of the merged UNION ALL: value lists unrolled (see oneOf).
  const arm = window !== undefined;
  if (window !== undefined) {
    sql.params.push(window.device_key);
    sql.where.push('r.device_key = ?', "r.type = 'Observation'");
    // The window's start bounds the scan (windowRange); its end is checked here.
    if (window.until_ms !== null) {
      sql.where.push(endsBy('r', '?'));
      sql.params.push(window.until_ms);
    }
    sql.where.push(observationCodes('r', q.scope, sql.params, arm));
  } else {
    sql.where.push('r.type = ?');
    sql.params.push(q.type);
    sql.where.push(visible('r', q.type, q.scope, sql.params));
  }
  for (const ids of q.ids ?? []) {
    sql.where.push(oneOf('r.id', ids.length, arm));
    sql.params.push(...ids);
  }
  for (const codes of q.codes ?? []) {
    sql.where.push(oneOf('r.code', codes.length, arm));
    sql.params.push(...codes);
  }
  for (const types of q.types ?? []) {
    sql.where.push(oneOf('r.code', types.length, arm));
    sql.params.push(...types);
  }
  for (const sources of q.sources ?? []) {
    sql.where.push(oneOf('r.ref', sources.length, arm));
    sql.params.push(...sources.map((s) => `Device/${s}`));
  }
  for (const d of q.dates ?? []) dateClause(d, 'r.effective_start_ms', 'r.effective_end_ms', sql, sargable);
  for (const d of q.lastUpdated ?? []) dateClause(d, 'r.last_updated_ms', 'r.last_updated_ms', sql, false);
  for (const v of q.values ?? []) {
    const parts = v.ranges.map((range) => {
      const cond = numberClause(v.prefix, range, 'r.value', sql.params);
      if (range.unit === null) return cond;
      sql.params.push(range.unit);
      return `(${cond} AND r.unit = ?)`;
    });
    sql.where.push(`r.value IS NOT NULL AND ${orList(parts)}`);
  }
  for (const names of q.deviceNames ?? []) {
    const parts = names.map(
      (c) =>
        `EXISTS (SELECT 1 FROM json_each(r.json, '$.deviceName') dn WHERE ${stringClause("json_extract(dn.value, '$.name')", c, sql.params)})`,
    );
    sql.where.push(orList(parts));
  }
  for (const makers of q.manufacturers ?? []) {
    sql.where.push(
      orList(makers.map((c) => stringClause("json_extract(r.json, '$.manufacturer')", c, sql.params))),
    );
  }
  return sql;
}

function cursorClause(q: StoreSearch, desc: boolean, sql: Sql): void {
  if (!q.cursor) return;
  const col = sortColumn(q.sort.key);
  const op = desc ? '<' : '>';
  if (q.sort.key === 'id') {
    sql.where.push(`r.id ${op} ?`);
    sql.params.push(q.cursor.id);
  } else {
    sql.where.push(`(${col} ${op} ? OR (${col} = ? AND r.id ${op} ?))`);
    sql.params.push(q.cursor.v, q.cursor.v, q.cursor.id);
  }
}

interface Key {
  id: string;
  k: number | string;
  /** Known only on the Observation date path (from the covering index). */
  version?: number;
}

/**
 * Recently served rows by type and id, checked against the version the index reported: a page of a search
 * then costs index reads plus splicing of kept bytes. Bounded; the oldest entry goes first (a hit does not
 * reorder: a page of a walk is read again after the whole walk, so recency would not help).
 */
const rowCache = new WeakMap<Store, Map<string, Map<string, ResourceRow>>>();
const ROW_CACHE_SIZE = 4096;

function cachedRow(store: Store, type: string, key: Key): ResourceRow | undefined {
  let byType = rowCache.get(store);
  if (!byType) rowCache.set(store, (byType = new Map()));
  let cache = byType.get(type);
  if (!cache) byType.set(type, (cache = new Map()));
  const hit = cache.get(key.id);
  if (hit && key.version !== undefined && hit.version === key.version) return hit;
  const row = getRow(store, type, key.id);
  if (row && key.version !== undefined) {
    cache.delete(key.id);
    cache.set(key.id, row);
    if (cache.size > ROW_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  }
  return row;
}

/** One page of a search in keyset order; `cursor` continues after (next) or before (prev) a row. */
export function searchResources(store: Store, q: StoreSearch): SearchPage {
  const backwards = q.cursor?.dir === 'prev';
  // Walking backwards = the reverse order, then flipping the page.
  const desc = q.sort.desc !== backwards;
  const keys =
    q.type === 'Observation' && q.sort.key === 'date'
      ? observationKeysByDate(store, q, desc)
      : genericKeys(store, q, desc);
  const more = keys.length > q.count;
  const page = keys.slice(0, q.count);
  if (backwards) page.reverse();
  // JSON only for the rows on the page: sorting wide rows would read every JSON in range.
  const rows = page.map((k) => cachedRow(store, q.type, k)).filter((r): r is ResourceRow => r !== undefined);
  return backwards
    ? { rows, hasNext: true, hasPrev: more }
    : { rows, hasNext: more, hasPrev: q.cursor !== undefined };
}

function genericKeys(store: Store, q: StoreSearch, desc: boolean): Key[] {
  const sql = buildWhere(q);
  cursorClause(q, desc, sql);
  const col = sortColumn(q.sort.key);
  const dir = desc ? 'DESC' : 'ASC';
  const order = q.sort.key === 'id' ? `r.id ${dir}` : `${col} ${dir}, r.id ${dir}`;
  return store
    .prepare<Key>(
      `SELECT r.id, ${col} AS k FROM resources r WHERE ${sql.where.join(' AND ')} ORDER BY ${order} ${boundLimit()}`,
    )
    .all(...sql.params, q.count + 1);
}

/**
 * The range of effective_start_ms that the date conditions and the historic period leave possible, from the
 * span limit (a resource ends at most MAX_OBSERVATION_SPAN_MS after it starts): [lo, hi), null = open. The
 * bounds are implied by the conditions, which stay in the WHERE; they only let the scan seek.
 */
export function observationStartRange(q: Pick<StoreSearch, 'dates' | 'scope'>): {
  lo: number | null;
  hi: number | null;
} {
  const span = MAX_OBSERVATION_SPAN_MS;
  let lo: number | null = null;
  let hi: number | null = null;
  const atLeast = (v: number) => (lo = lo === null ? v : Math.max(lo, v));
  const below = (v: number) => (hi = hi === null ? v : Math.min(hi, v));
  for (const c of q.dates ?? []) {
    switch (c.prefix) {
      case 'eq':
        atLeast(c.lo);
        below(c.hi);
        break;
      case 'gt':
        atLeast(c.hi - span);
        break;
      case 'ge':
        atLeast(c.lo - span);
        break;
      case 'lt':
      case 'eb':
        below(c.lo);
        break;
      case 'le':
        below(c.hi);
        break;
      case 'sa':
        atLeast(c.hi);
        break;
      case 'ap': {
        const tol = c.tolerance ?? 0;
        atLeast(c.lo - tol - span);
        below(c.hi + tol);
        break;
      }
      case 'ne':
        break;
    }
  }
  // Every granted MIV hides what ended before its historic period: nothing older than the oldest cutoff.
  const cutoffs = q.scope.groups.filter((g) => g.codes.length > 0).map((g) => g.minEffectiveEndMs);
  if (cutoffs.length > 0) atLeast(Math.min(...cutoffs) - span);
  return { lo, hi };
}

/**
 * Observations by date: one index range per assignment window of the patient, merged. A range starts at the
 * cursor, `(start, id) > (v, id)` on the keyset index (or at the lower date bound), so a page reads about
 * _count index entries wherever it is in the walk and however much history is stored.
 */
function observationKeysByDate(store: Store, q: StoreSearch, desc: boolean): Key[] {
  const all = windowsOfPatient(store, q.scope.patientId);
  const groups = q.scope.groups.filter((g) => g.codes.length > 0);
  if (groups.length === 0 || all.length === 0) return [];
  if (all.length <= WINDOWS_PER_STATEMENT) return observationKeysOfWindows(store, q, desc, all);
  // Very many windows: a statement per batch (SQLite limits compound selects), merged here.
  const merged: Key[] = [];
  for (let i = 0; i < all.length; i += WINDOWS_PER_STATEMENT)
    merged.push(...observationKeysOfWindows(store, q, desc, all.slice(i, i + WINDOWS_PER_STATEMENT)));
  const sign = desc ? -1 : 1;
  merged.sort(
    (a, b) => sign * ((a.k as number) - (b.k as number) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
  );
  return merged.slice(0, q.count + 1);
}

const WINDOWS_PER_STATEMENT = 32;

/** The start range of a window's arm: the search's range narrowed to the window ([from, until)). */
function windowRange(range: { lo: number | null; hi: number | null }, w: AssignmentWindow) {
  const lo = w.from_ms > 0 ? Math.max(range.lo ?? w.from_ms, w.from_ms) : range.lo;
  const hi = w.until_ms === null ? range.hi : Math.min(range.hi ?? w.until_ms, w.until_ms);
  return { lo, hi };
}

function observationKeysOfWindows(
  store: Store,
  q: StoreSearch,
  desc: boolean,
  windows: AssignmentWindow[],
): Key[] {
  const dir = desc ? 'DESC' : 'ASC';
  const searchRange = observationStartRange(q);
  const v = q.cursor && typeof q.cursor.v === 'number' ? q.cursor.v : undefined;
  const arms: string[] = [];
  const params: unknown[] = [];
  for (const w of windows) {
    const range = windowRange(searchRange, w);
    if (range.lo !== null && range.hi !== null && range.lo >= range.hi) continue;
    const sql = buildWhere({ ...q, scope: { ...q.scope, patientId: '' } }, w, false);
    // The bound the scan starts from: the cursor's row when it lies inside the range (always, for a cursor
    // of this search), else the range; one seek term per side, so SQLite cannot pick the looser one.
    const seekFromCursor =
      v !== undefined &&
      q.cursor !== undefined &&
      (desc ? range.hi === null || v < range.hi : range.lo === null || v >= range.lo);
    if (seekFromCursor) {
      sql.where.push(`(r.effective_start_ms, r.id) ${desc ? '<' : '>'} (?, ?)`);
      sql.params.push(v, q.cursor!.id);
    } else cursorClause(q, desc, sql);
    if (range.lo !== null && !(seekFromCursor && !desc)) {
      sql.where.push('r.effective_start_ms >= ?');
      sql.params.push(range.lo);
    }
    if (range.hi !== null && !(seekFromCursor && desc)) {
      sql.where.push('r.effective_start_ms < ?');
      sql.params.push(range.hi);
    }
    arms.push(
      `SELECT r.id AS id, r.effective_start_ms AS k, r.version AS version FROM resources r
       INDEXED BY resources_fhir_observation_keyset WHERE ${sql.where.join(' AND ')}`,
    );
    params.push(...sql.params);
  }
  if (arms.length === 0) return [];
  // One statement for all windows: a UNION ALL of index-ordered ranges that SQLite merges lazily, so the
  // LIMIT stops the merge after a page's rows (arrays, not objects: better-sqlite3 builds objects slowly).
  const statement = store
    .prepare<unknown[]>(`${arms.join(' UNION ALL ')} ORDER BY k ${dir}, id ${dir} ${boundLimit()}`)
    .raw(true);
  return statement
    .all(...params, q.count + 1)
    .map((r) => ({ id: r[0] as string, k: r[1] as number, version: r[2] as number }));
}

function getRow(store: Store, type: string, id: string): ResourceRow | undefined {
  return store
    .prepare<ResourceRow>(`SELECT ${RESOURCE_COLUMNS} FROM resources WHERE type = ? AND id = ?`)
    .get(type, id);
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
  const old = store
    .prepare<{ json: string; last_updated_ms: number }>(
      'SELECT json, last_updated_ms FROM resource_history WHERE type = ? AND id = ? AND version = ?',
    )
    .get(type, id, version);
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
