// The date parameter of the Observation search (§1.2): each prefix at a search value away from every resource
// boundary, eq and the bare value at a reading's second, and a ge/lt range, each held against what R4 date
// semantics say the search must return (date-search.ts).
import { defineChecks, skip, type CheckSpec } from '../check.ts';
import type { FhirResource, KitContext, Pairing } from '../context.ts';
import { effectiveRange, expectedIds, quietSecond, secondOf, type Prefix } from '../date-search.ts';
import type { MivId } from '../hddt-terms.ts';
import { codeParam, same } from './search-common.ts';

export const DATE_CHECKS = defineChecks('search', {
  dateGt: {
    section: '1.2',
    level: 'MUST',
    requirement: 'date=gt<dateTime> returns what R4 date semantics give',
  },
  dateLt: {
    section: '1.2',
    level: 'MUST',
    requirement: 'date=lt<dateTime> returns what R4 date semantics give',
  },
  dateGe: {
    section: '1.2',
    level: 'MUST',
    requirement: 'date=ge<dateTime> returns what R4 date semantics give',
  },
  dateLe: {
    section: '1.2',
    level: 'MUST',
    requirement: 'date=le<dateTime> returns what R4 date semantics give',
  },
  dateEq: {
    section: '1.2',
    level: 'MUST',
    requirement: 'date=eq<dateTime of a reading> (or no prefix) returns exactly the readings in that second',
  },
  dateRange: {
    section: '1.2',
    level: 'MUST',
    requirement: 'date=ge<a>&date=lt<b> returns the intersection of both',
  },
  dateNe: {
    section: '1.2',
    level: 'SHOULD',
    requirement: 'date=ne<dateTime> returns what R4 date semantics give',
  },
  dateSa: {
    section: '1.2',
    level: 'SHOULD',
    requirement: 'date=sa<dateTime> (starts after) returns what R4 date semantics give',
  },
  dateEb: {
    section: '1.2',
    level: 'SHOULD',
    requirement: 'date=eb<dateTime> (ends before) returns what R4 date semantics give',
  },
});
const C = DATE_CHECKS;

interface Pivot {
  m: MivId;
  obs: FhirResource[];
  /** A quiet second inside the MIV's data, if there is one. */
  s: number | undefined;
}

const PREFIXES: Array<[CheckSpec, Prefix]> = [
  [C.dateGt, 'gt'],
  [C.dateLt, 'lt'],
  [C.dateGe, 'ge'],
  [C.dateLe, 'le'],
  [C.dateNe, 'ne'],
  [C.dateSa, 'sa'],
  [C.dateEb, 'eb'],
];

async function prefixCheck(ctx: KitContext, p: Pairing, pivots: Pivot[], spec: CheckSpec, prefix: Prefix) {
  await ctx.rec.check(spec, async () => {
    const usable = pivots.filter((x) => x.s !== undefined);
    if (usable.length === 0) skip('no data with a gap to search in');
    const notes: string[] = [];
    for (const { m, obs, s } of usable) {
      const value = secondOf(s!);
      const want = expectedIds(obs, prefix, { lo: s!, hi: s! + 1000 });
      const params: Array<[string, string]> = [
        ['code', codeParam(m)],
        ['date', `${prefix}${value}`],
      ];
      const n = await same(ctx, p, params, want, `${m} date=${prefix}${value}`);
      notes.push(`${m}: ${n} of ${obs.length}`);
    }
    return notes.join('; ');
  });
}

async function eqCheck(ctx: KitContext, p: Pairing, groups: Map<MivId, FhirResource[]>): Promise<void> {
  await ctx.rec.check(C.dateEq, async () => {
    const points = [...groups.values()].flat().filter((o) => typeof o.effectiveDateTime === 'string');
    const o = points[Math.floor(points.length / 2)];
    if (!o) skip('no Observation with effectiveDateTime (blood glucose) to search for');
    const s = Math.floor(Date.parse(o.effectiveDateTime as string) / 1000) * 1000;
    const want = expectedIds(points, 'eq', { lo: s, hi: s + 1000 });
    const codes = codeParam('bloodGlucose');
    for (const value of [`eq${secondOf(s)}`, secondOf(s)]) {
      const params: Array<[string, string]> = [
        ['code', codes],
        ['date', value],
      ];
      await same(ctx, p, params, want, `date=${value}`);
    }
    return `${want.size} reading(s) in ${secondOf(s)}`;
  });
}

async function rangeCheck(ctx: KitContext, p: Pairing, pivots: Pivot[]): Promise<void> {
  await ctx.rec.check(C.dateRange, async () => {
    const tried: string[] = [];
    for (const { m, obs } of pivots.filter((x) => x.obs.length >= 3)) {
      const sorted = obs
        .map(effectiveRange)
        .filter((x) => x !== undefined)
        .sort((a, b) => a.lo - b.lo);
      const a = quietSecond(sorted.slice(0, Math.ceil(sorted.length / 2)));
      const b = quietSecond(sorted.slice(Math.floor(sorted.length / 2)));
      if (a === undefined || b === undefined || a >= b) continue;
      const ge = expectedIds(obs, 'ge', { lo: a, hi: a + 1000 });
      const lt = expectedIds(obs, 'lt', { lo: b, hi: b + 1000 });
      const want = new Set([...ge].filter((x) => lt.has(x)));
      const params: Array<[string, string]> = [
        ['code', codeParam(m)],
        ['date', `ge${secondOf(a)}`],
        ['date', `lt${secondOf(b)}`],
      ];
      const n = await same(ctx, p, params, want, m);
      tried.push(`${m}: ${n} of ${obs.length}`);
    }
    if (tried.length === 0) skip('not enough data with gaps for a range');
    return tried.join('; ');
  });
}

export async function dateChecks(
  ctx: KitContext,
  p: Pairing,
  groups: Map<MivId, FhirResource[]>,
): Promise<void> {
  const pivots: Pivot[] = [...groups].map(([m, obs]) => ({
    m,
    obs,
    s: quietSecond(obs.map(effectiveRange).filter((x) => x !== undefined)),
  }));
  for (const [spec, prefix] of PREFIXES) await prefixCheck(ctx, p, pivots, spec, prefix);
  await eqCheck(ctx, p, groups);
  await rangeCheck(ctx, p, pivots);
}
