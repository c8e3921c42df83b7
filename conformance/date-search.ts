// FHIR R4 date search semantics (search.html#date), to know which resources a date search must return: the
// search value stands for a range (its precision: a second-precision dateTime is one second), the resource's
// time for another (effectiveDateTime a point, effectivePeriod its start to end), and each prefix compares
// the two ranges. The kit picks search values away from every resource boundary, so servers that differ in
// rounding at a boundary cannot be told apart, and only real mistakes show.
import type { FhirResource } from './context.ts';

export type Prefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb';

export interface TimeRange {
  lo: number;
  hi: number;
}

/** The resource's effective time as a range in ms, or undefined when it has none. */
export function effectiveRange(r: FhirResource): TimeRange | undefined {
  if (typeof r.effectiveDateTime === 'string') {
    const t = Date.parse(r.effectiveDateTime);
    return Number.isNaN(t) ? undefined : { lo: t, hi: t };
  }
  const p = r.effectivePeriod as { start?: string; end?: string } | undefined;
  if (p?.start) {
    const lo = Date.parse(p.start);
    const hi = p.end ? Date.parse(p.end) : Number.POSITIVE_INFINITY;
    return Number.isNaN(lo) || Number.isNaN(hi) ? undefined : { lo, hi };
  }
  return undefined;
}

/** Whether a resource with range `t` matches `prefix` + a search value standing for `[s.lo, s.hi)`. */
export function matches(prefix: Prefix, t: TimeRange, s: TimeRange): boolean {
  const contained = t.lo >= s.lo && t.hi < s.hi;
  switch (prefix) {
    case 'eq':
      return contained;
    case 'ne':
      return !contained;
    case 'gt':
      return t.hi >= s.hi;
    case 'lt':
      return t.lo < s.lo;
    case 'ge':
      return t.hi >= s.hi || contained;
    case 'le':
      return t.lo < s.lo || contained;
    case 'sa':
      return t.lo >= s.hi;
    case 'eb':
      return t.hi < s.lo;
  }
}

/** A second-precision UTC dateTime, as the kit sends it. */
export function secondOf(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * A search value (whole second) at least `marginMs` away from every boundary of the given ranges, near the
 * middle of the data, or undefined if the data leave no such gap.
 */
export function quietSecond(ranges: TimeRange[], marginMs = 2000): number | undefined {
  const edges = [...new Set(ranges.flatMap((r) => [r.lo, r.hi]).filter(Number.isFinite))].sort(
    (a, b) => a - b,
  );
  if (edges.length < 2) return undefined;
  const mid = edges[Math.floor(edges.length / 2)]!;
  const candidates: number[] = [];
  for (let i = 0; i + 1 < edges.length; i++) {
    const a = edges[i]!;
    const b = edges[i + 1]!;
    const s = Math.floor((a + b) / 2 / 1000) * 1000;
    if (s - a >= marginMs && b - (s + 1000) >= marginMs) candidates.push(s);
  }
  candidates.sort((x, y) => Math.abs(x - mid) - Math.abs(y - mid));
  return candidates[0];
}

/** Resources expected for `prefix`+value, by id, from the full set. */
export function expectedIds(resources: FhirResource[], prefix: Prefix, s: TimeRange): Set<string> {
  const out = new Set<string>();
  for (const r of resources) {
    const t = effectiveRange(r);
    if (t && matches(prefix, t, s)) out.add(`${r.resourceType}/${r.id}`);
  }
  return out;
}

/** "2 missing (Observation/x, ...), 1 extra (...)" or undefined when equal. */
export function setDifference(want: Set<string>, got: Set<string>, limit = 3): string | undefined {
  const missing = [...want].filter((x) => !got.has(x));
  const extra = [...got].filter((x) => !want.has(x));
  if (missing.length === 0 && extra.length === 0) return undefined;
  const list = (xs: string[]) => xs.slice(0, limit).join(', ') + (xs.length > limit ? ', …' : '');
  return [
    missing.length ? `${missing.length} missing (${list(missing)})` : '',
    extra.length ? `${extra.length} not expected (${list(extra)})` : '',
  ]
    .filter(Boolean)
    .join(', ');
}
