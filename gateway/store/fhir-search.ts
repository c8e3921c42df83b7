// FHIR search over the `resources` table: a parameterized query builder with keyset pagination; what a scope
// may see is fhir-visibility.ts, the SQL pieces fhir-sql.ts. The FHIR layer (server/fhir) parses parameters
// into a StoreSearch; nothing here knows HTTP.
import { windowsOfPatient, type AssignmentWindow } from './assignments.ts';
import type { SearchPage, SortSpec, StoreSearch } from './fhir-search-types.ts';
import { MAX_OBSERVATION_SPAN_MS } from './fhir-search-types.ts';
import { dateClause, numberClause, oneOf, orList, stringClause, type Sql } from './fhir-sql.ts';
import { endsBy, observationCodes, visible } from './fhir-visibility.ts';
import type { ResourceRow } from './resources.ts';
import { boundLimit, type Store } from './store.ts';

export * from './fhir-search-types.ts';
export { cgmChunksInRange, readVisible, readVisibleVersion, resolveReference } from './fhir-visibility.ts';

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
  const rows = page
    .map((k) => store.rowCache.row(store, q.type, k.id, k.version))
    .filter((r): r is ResourceRow => r !== undefined);
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
