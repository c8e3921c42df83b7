// Paging (§1.2: _count, _sort; paging SHOULD, and then to the end without duplicate or gap): the full
// Observation search walked with a small page size must give exactly the inventory, page by page within _count,
// in order when sorted, with Bundle.total (when given) equal to the matches.
import { defineChecks, expect, fail, skip } from '../check.ts';
import type { FhirResource, Group, KitContext } from '../context.ts';
import { effectiveRange, setDifference } from '../date-search.ts';
import { ids, searchAll, type SearchResult } from '../fhir.ts';

const C = defineChecks('paging', {
  paged: {
    section: '1.2',
    level: 'SHOULD',
    requirement: 'a search with more matches than _count is split into pages linked by next',
  },
  noDuplicates: {
    section: '1.2',
    level: 'MUST',
    requirement: 'following next to the end never returns a match twice',
  },
  noGap: {
    section: '1.2',
    level: 'MUST',
    requirement:
      'following next to the end returns every match of the search (the same set as large pages give)',
  },
  pageSize: { section: '1.2', level: 'MUST', requirement: 'no page holds more matches than _count' },
  sorted: {
    section: '1.2',
    level: 'MUST',
    requirement: '_sort=date paged to the end is in date order across pages, complete and without duplicates',
  },
  total: {
    section: '1.2',
    level: 'SHOULD',
    requirement: 'Bundle.total, when given, is the number of matches',
  },
});

function duplicates(rs: FhirResource[]): string[] {
  const seen = new Set<string>();
  const dup: string[] = [];
  for (const k of ids(rs)) {
    if (seen.has(k)) dup.push(k);
    seen.add(k);
  }
  return dup;
}

function matchesPerPage(r: SearchResult): number[] {
  return r.pages.map(
    (b) => (b.entry ?? []).filter((e) => e.search?.mode !== 'include' && e.search?.mode !== 'outcome').length,
  );
}

async function run(ctx: KitContext): Promise<void> {
  const p = ctx.pairing('a1');
  const inv = ctx.inventory('a1');
  const n = ctx.opts.pageSize;
  if (inv.observations.length <= n) {
    ctx.rec.skipAll(
      Object.values(C),
      `only ${inv.observations.length} Observations: not more than one page of ${n}`,
    );
    return;
  }
  let walk: SearchResult | undefined;
  await ctx.rec.check(C.paged, async () => {
    walk = await searchAll(ctx, p, 'Observation', [['_count', String(n)]]);
    expect(walk.pages.length > 1, `${inv.observations.length} matches came in one page of _count=${n}`);
    return `${walk.pages.length} pages of ${n}`;
  });
  const w = walk;
  const cite = () => w?.responses.slice(0, 3).map((r) => r.exchange) ?? [];
  await ctx.rec.check(C.noDuplicates, (r) => {
    if (!w) skip('the paged search failed');
    r.cite(...cite());
    const dup = duplicates(w.matches);
    expect(dup.length === 0, `${dup.length} matches returned twice (${dup.slice(0, 3).join(', ')})`);
  });
  await ctx.rec.check(C.noGap, (r) => {
    if (!w) skip('the paged search failed');
    r.cite(...cite());
    const diff = setDifference(new Set(ids(inv.observations)), new Set(ids(w.matches)));
    if (diff) fail(`pages of ${n} against pages of 100: ${diff}`);
    return `${w.matches.length} matches`;
  });
  await ctx.rec.check(C.pageSize, (r) => {
    if (!w) skip('the paged search failed');
    r.cite(...cite());
    const big = matchesPerPage(w).filter((k) => k > n);
    expect(big.length === 0, `pages with ${big.join(', ')} matches for _count=${n}`);
  });
  await ctx.rec.check(C.sorted, async () => {
    const s = await searchAll(ctx, p, 'Observation', [
      ['_sort', 'date'],
      ['_count', String(n)],
    ]);
    const starts = s.matches.map((o) => effectiveRange(o)?.lo ?? NaN);
    const back = starts.findIndex((t, i) => i > 0 && t < starts[i - 1]!);
    expect(back < 0, `match ${back + 1} is earlier than the one before it`);
    const dup = duplicates(s.matches);
    expect(dup.length === 0, `${dup.length} duplicates`);
    const diff = setDifference(new Set(ids(inv.observations)), new Set(ids(s.matches)));
    if (diff) fail(diff);
    return `${s.pages.length} pages`;
  });
  await ctx.rec.check(C.total, (r) => {
    if (!w) skip('the paged search failed');
    r.cite(...cite());
    const total = w.pages[0]?.total;
    if (total === undefined) skip('Bundle.total is not given');
    expect(total === inv.observations.length, `total ${total}, matches ${inv.observations.length}`);
  });
}

export const pagingGroup: Group = { name: 'paging', checks: C, run };
