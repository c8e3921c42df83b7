// Observation search (§1.2, §1.3) with test patient A's full grant: the whole search first (the inventory every
// later check compares with), then each HDDT parameter and date prefix against what R4 says it must return.
import { defineChecks, expect, fail, skip } from '../check.ts';
import type { FhirResource, Group, Inventory, KitContext, Pairing } from '../context.ts';
import { effectiveRange, setDifference } from '../date-search.ts';
import { ids, searchAll } from '../fhir.ts';
import { LOINC, UCUM, type MivId } from '../hddt-terms.ts';
import { byMiv, codeParam, same } from './search-common.ts';
import { DATE_CHECKS, dateChecks } from './search-date.ts';

const C = defineChecks('search', {
  all: {
    section: '1.1',
    level: 'MUST',
    requirement:
      'GET [base]/Observation with _include=Observation:device and _include:iterate=DeviceMetric:source answers searchset Bundles to the last page',
  },
  code: {
    section: '1.2',
    level: 'MUST',
    requirement: 'code=<LOINC> returns exactly the Observations with that code',
  },
  codeWithSystem: {
    section: '1.2',
    level: 'MUST',
    requirement: 'code=http://loinc.org|<LOINC> returns the same as the bare code',
  },
  codeOutsideGrant: {
    section: '1.3',
    level: 'MUST',
    requirement:
      'a code outside the granted MIV ValueSets gives 200 and an empty searchset (no 400, no data)',
  },
  valueQuantity: {
    section: '1.2',
    level: 'MUST',
    requirement:
      'blood glucose: value-quantity with gt/lt, with and without |system|unit, returns the readings in range',
  },
  id: { section: '1.2', level: 'MUST', requirement: '_id=<id> returns exactly that Observation' },
  sortLatest: {
    section: '1.2',
    level: 'MUST',
    requirement: '_sort=-date&_count=1 returns the latest Observation (per MIV)',
  },
  count: { section: '1.2', level: 'MUST', requirement: '_count=N returns at most N matches per page' },
  post: {
    section: '1.1',
    level: 'MUST',
    requirement: 'POST [base]/Observation/_search (form-encoded) returns what the same GET returns',
  },
  noMatch: {
    section: '1.3',
    level: 'MUST',
    requirement: 'a search that matches nothing answers 200 with an empty searchset Bundle',
  },
  subjectIgnored: {
    section: '1.3',
    level: 'MUST',
    requirement: 'an explicit subject never widens the result: 400, or exactly the result without it',
  },
  subjectRefused: { section: '1.3', level: 'SHOULD', requirement: 'an explicit subject gives 400' },
});

const INCLUDES: Array<[string, string]> = [
  ['_include', 'Observation:device'],
  ['_include:iterate', 'DeviceMetric:source'],
  ['_count', '100'],
];

async function inventory(ctx: KitContext, p: Pairing): Promise<void> {
  await ctx.rec.check(C.all, async () => {
    const r = await searchAll(ctx, p, 'Observation', INCLUDES);
    for (const b of r.pages) expect(b.type === 'searchset', `Bundle.type is ${JSON.stringify(b.type)}`);
    const inv: Inventory = {
      observations: r.matches,
      devices: r.included.filter((x) => x.resourceType === 'Device'),
      metrics: r.included.filter((x) => x.resourceType === 'DeviceMetric'),
    };
    ctx.inventories.set(p.label, inv);
    return `${inv.observations.length} Observations, ${inv.metrics.length} DeviceMetrics, ${inv.devices.length} Devices in ${r.pages.length} pages`;
  });
}

async function valueChecks(ctx: KitContext, p: Pairing, groups: Map<MivId, FhirResource[]>): Promise<void> {
  await ctx.rec.check(C.valueQuantity, async () => {
    const bg = (groups.get('bloodGlucose') ?? []).filter(
      (o) => typeof (o.valueQuantity as { value?: unknown })?.value === 'number',
    );
    if (bg.length < 2) skip('fewer than two blood glucose readings with a value');
    const valueOf = (o: FhirResource) => (o.valueQuantity as { value: number; code?: string }).value;
    const values = [...new Set(bg.map(valueOf))].sort((a, b) => a - b);
    if (values.length < 2) skip('all readings have the same value');
    const i = Math.floor(values.length / 2);
    const v = (values[i - 1]! + values[i]!) / 2;
    const idsOf = (xs: FhirResource[]) => new Set(ids(xs));
    const codes = codeParam('bloodGlucose');
    await same(
      ctx,
      p,
      [
        ['code', codes],
        ['value-quantity', `gt${v}`],
      ],
      idsOf(bg.filter((o) => valueOf(o) > v)),
      `value-quantity=gt${v}`,
    );
    await same(
      ctx,
      p,
      [
        ['code', codes],
        ['value-quantity', `lt${v}`],
      ],
      idsOf(bg.filter((o) => valueOf(o) < v)),
      `value-quantity=lt${v}`,
    );
    const unit = (bg[0]!.valueQuantity as { code?: string }).code ?? 'mg/dL';
    const inUnit = bg.filter((o) => (o.valueQuantity as { code?: string }).code === unit && valueOf(o) > v);
    await same(
      ctx,
      p,
      [
        ['code', codes],
        ['value-quantity', `gt${v}|${UCUM}|${unit}`],
      ],
      idsOf(inUnit),
      `value-quantity=gt${v}|${UCUM}|${unit}`,
    );
    return `pivot ${v} ${unit}`;
  });
}

async function codeChecks(ctx: KitContext, p: Pairing, obs: FhirResource[]): Promise<void> {
  const codes = new Map<string, Set<string>>();
  for (const o of obs) {
    for (const c of (o.code as { coding?: Array<{ system?: string; code?: string }> })?.coding ?? []) {
      if (c.system === LOINC && c.code)
        codes.set(c.code, new Set([...(codes.get(c.code) ?? []), `Observation/${o.id}`]));
    }
  }
  await ctx.rec.check(C.code, async () => {
    if (codes.size === 0) skip('no Observations');
    for (const [code, want] of codes) await same(ctx, p, [['code', code]], want, `code=${code}`);
    return `${codes.size} codes`;
  });
  await ctx.rec.check(C.codeWithSystem, async () => {
    if (codes.size === 0) skip('no Observations');
    for (const [code, want] of codes)
      await same(ctx, p, [['code', `${LOINC}|${code}`]], want, `code=${LOINC}|${code}`);
  });
  await ctx.rec.check(C.codeOutsideGrant, async () => {
    const r = await searchAll(ctx, p, 'Observation', [['code', `${LOINC}|2951-2`]]);
    expect(r.matches.length === 0, `${r.matches.length} matches for sodium (2951-2)`);
  });
}

async function miscChecks(
  ctx: KitContext,
  p: Pairing,
  obs: FhirResource[],
  groups: Map<MivId, FhirResource[]>,
) {
  await ctx.rec.check(C.id, async () => {
    const o = obs[Math.floor(obs.length / 2)];
    if (!o) skip('no Observations');
    await same(ctx, p, [['_id', o.id!]], new Set([`Observation/${o.id}`]), `_id=${o.id}`);
  });
  await ctx.rec.check(C.sortLatest, async () => {
    if (groups.size === 0) skip('no Observations');
    for (const [m, list] of groups) {
      const latest = Math.max(...list.map((o) => effectiveRange(o)?.lo ?? -Infinity));
      const want = new Set(
        list.filter((o) => effectiveRange(o)?.lo === latest).map((o) => `Observation/${o.id}`),
      );
      const r = await searchAll(
        ctx,
        p,
        'Observation',
        [
          ['code', codeParam(m)],
          ['_sort', '-date'],
          ['_count', '1'],
        ],
        1,
        true,
      );
      const first = r?.matches[0];
      expect(
        first && want.has(`Observation/${first.id}`),
        `${m}: the first match is ${first?.id}, not the latest`,
      );
    }
  });
  await ctx.rec.check(C.count, async () => {
    const r = await searchAll(ctx, p, 'Observation', [['_count', '2']], 1, true);
    const page = r?.pages[0];
    if (!page) fail('the first page of _count=2 did not come');
    const n = (page.entry ?? []).filter(
      (e) => e.search?.mode !== 'include' && e.search?.mode !== 'outcome',
    ).length;
    expect(n <= 2, `${n} matches on a page of _count=2`);
    expect(obs.length < 2 || n > 0, 'an empty first page although there is data');
  });
  await ctx.rec.check(C.post, async () => {
    const m = [...groups.keys()][0];
    if (!m) skip('no Observations');
    const want = new Set(ids(groups.get(m)!));
    const res = await ctx.probe.send({
      url: ctx.fhirUrl('Observation/_search'),
      headers: { authorization: `Bearer ${p.tokens.access_token}`, accept: 'application/fhir+json' },
      form: { code: codeParam(m), _count: '100' },
    });
    expect(res.status === 200, `HTTP ${res.status || res.error}`);
    const b = res.json<{
      entry?: Array<{ resource?: FhirResource; search?: { mode?: string } }>;
      link?: Array<{ relation?: string }>;
    }>();
    const got = new Set(
      (b?.entry ?? [])
        .filter((e) => e.search?.mode !== 'include')
        .map((e) => `${e.resource?.resourceType}/${e.resource?.id}`),
    );
    const more = b?.link?.some((l) => l.relation === 'next');
    const diff = setDifference(more ? new Set([...want].filter((x) => got.has(x))) : want, got);
    if (diff) fail(diff);
  });
  await ctx.rec.check(C.noMatch, async () => {
    const r = await searchAll(ctx, p, 'Observation', [['date', 'lt1990-01-01T00:00:00Z']]);
    expect(r.matches.length === 0, `${r.matches.length} matches before 1990`);
    expect(r.pages[0]?.type === 'searchset', 'not a searchset Bundle');
  });
}

async function subjectChecks(ctx: KitContext, p: Pairing, obs: FhirResource[]): Promise<void> {
  let status = 0;
  await ctx.rec.check(C.subjectIgnored, async () => {
    const res = await ctx.probe.send({
      url: ctx.fhirUrl('Observation?subject=Patient/kit-someone-else&_count=100'),
      headers: { authorization: `Bearer ${p.tokens.access_token}`, accept: 'application/fhir+json' },
    });
    status = res.status;
    if (res.status === 400) return 'refused with 400';
    expect(res.status === 200, `HTTP ${res.status || res.error}`);
    const b = res.json<{ entry?: Array<{ resource?: FhirResource; search?: { mode?: string } }> }>();
    const got = (b?.entry ?? []).filter(
      (e) => e.search?.mode !== 'include' && e.resource?.resourceType === 'Observation',
    );
    const known = new Set(ids(obs));
    const foreign = got.filter((e) => !known.has(`Observation/${e.resource?.id}`));
    expect(foreign.length === 0, `${foreign.length} Observations that the plain search does not return`);
    return 'ignored';
  });
  await ctx.rec.check(C.subjectRefused, (r) => {
    r.cite(...ctx.rec.lastEvidence);
    expect(status === 400, `HTTP ${status}`);
  });
}

async function run(ctx: KitContext): Promise<void> {
  const p = ctx.pairing('a1');
  await inventory(ctx, p);
  const obs = ctx.inventory('a1').observations;
  const groups = byMiv(obs);
  await codeChecks(ctx, p, obs);
  await dateChecks(ctx, p, groups);
  await valueChecks(ctx, p, groups);
  await miscChecks(ctx, p, obs, groups);
  await subjectChecks(ctx, p, obs);
}

export const searchGroup: Group = { name: 'search', checks: { ...C, ...DATE_CHECKS }, run };
