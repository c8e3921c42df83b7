// Pieces of parameterized SQL for FHIR search: value lists, the R4 comparisons of dates, numbers and strings.
// Each pushes its values to the caller's params in the order its placeholders appear.
import type { DateCond, QuantityCond, StringCond } from './fhir-search-types.ts';
import { MAX_OBSERVATION_SPAN_MS } from './fhir-search-types.ts';

export interface Sql {
  where: string[];
  params: unknown[];
}

export const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/**
 * `expr IN (?, ...)` for n values; `unrolled`, the same as `(expr = ? OR ...)`. The merged per-device arms of
 * observationKeysOfWindows need the unrolled form: in an arm of a merged UNION ALL, SQLite builds an IN
 * list's lookup table again each time the arm's co-routine resumes, that is for every row (measured: the
 * granted-codes IN lists took two thirds of a page's key query, about 2.5 µs a row).
 */
export function oneOf(expr: string, n: number, unrolled: boolean): string {
  if (!unrolled) return `${expr} IN (${placeholders(n)})`;
  return n === 1 ? `${expr} = ?` : `(${Array.from({ length: n }, () => `${expr} = ?`).join(' OR ')})`;
}

/**
 * R4 date comparison of the resource range [rl, rh] (inclusive) with the parameter range [lo, hi).
 * `sargable` adds a redundant bound on `startCol` so the (device_key, type, effective_start_ms) index applies.
 */
export function dateClause(c: DateCond, startCol: string, endCol: string, sql: Sql, sargable: boolean): void {
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

export function numberClause(
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

export function stringClause(expr: string, c: StringCond, params: unknown[]): string {
  if (c.mode === 'exact') {
    params.push(c.value);
    return `${expr} = ?`;
  }
  const escaped = c.value.replace(/[\\%_]/g, (m) => `\\${m}`);
  params.push(c.mode === 'starts' ? `${escaped}%` : `%${escaped}%`);
  // LIKE is case-insensitive for ASCII, as R4 string search asks.
  return `${expr} LIKE ? ESCAPE '\\'`;
}

export function orList(parts: string[]): string {
  return parts.length === 1 ? parts[0] : `(${parts.join(' OR ')})`;
}
