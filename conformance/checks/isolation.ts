// Isolation of patients (§4.4, §3.5): test patient B pairs with the same DiGA; B's Pairing ID differs from A's,
// neither sees the other's resources in searches, and reads of the other's ids give 404 (not 403, §1.1).
import { defineChecks, expect, skip } from '../check.ts';
import type { FhirResource, Group, KitContext, Pairing } from '../context.ts';
import { fhirCall, ids, searchAll } from '../fhir.ts';
import { pair } from '../oauth-flow.ts';

const C = defineChecks('isolation', {
  pairingIdDistinct: {
    section: '3.5',
    level: 'MUST',
    requirement: 'patient B gets a Pairing ID other than patient A’s for the same DiGA',
  },
  searchDisjoint: {
    section: '4.4',
    level: 'MUST',
    requirement: 'patient A’s and patient B’s searches share no resource (Observation, Device, DeviceMetric)',
  },
  readAB: { section: '4.4', level: 'MUST', requirement: 'A’s token reading B’s resource ids gets 404' },
  readBA: { section: '4.4', level: 'MUST', requirement: 'B’s token reading A’s resource ids gets 404' },
  idSearch: {
    section: '4.4',
    level: 'MUST',
    requirement: 'A’s token searching _id=<B’s Observation id> finds nothing',
  },
});

/** A few ids of each kind, for the cross reads. */
function sample(rs: FhirResource[]): FhirResource[] {
  const out: FhirResource[] = [];
  for (const t of ['Observation', 'Device', 'DeviceMetric'])
    out.push(...rs.filter((r) => r.resourceType === t).slice(0, 3));
  return out;
}

async function crossRead(ctx: KitContext, reader: Pairing, owned: FhirResource[]): Promise<string> {
  const targets = sample(owned);
  if (targets.length === 0) skip('the other patient has no data');
  const wrong: string[] = [];
  for (const r of targets) {
    const res = await fhirCall(ctx, `${r.resourceType}/${r.id}`, { token: reader.tokens.access_token });
    if (res.status !== 404) wrong.push(`${r.resourceType}/${r.id}: HTTP ${res.status}`);
  }
  expect(wrong.length === 0, wrong.slice(0, 3).join('; '));
  return `${targets.length} reads, all 404`;
}

async function run(ctx: KitContext): Promise<void> {
  const a1 = ctx.pairing('a1');
  const b1 = await pair(ctx, 'b1', 'b', ctx.offeredMivs());
  await ctx.rec.check(C.pairingIdDistinct, (r) => {
    r.cite(a1.tokenExchange, b1.tokenExchange);
    expect(a1.tokens.sub !== b1.tokens.sub, 'A and B got the same sub');
  });
  const inc: Array<[string, string]> = [
    ['_include', 'Observation:device'],
    ['_include:iterate', 'DeviceMetric:source'],
    ['_count', '100'],
  ];
  await ctx.rec.check(C.searchDisjoint, async () => {
    const r = await searchAll(ctx, b1, 'Observation', inc);
    ctx.inventories.set('b1', {
      observations: r.matches,
      devices: r.included.filter((x) => x.resourceType === 'Device'),
      metrics: r.included.filter((x) => x.resourceType === 'DeviceMetric'),
    });
    await searchAll(ctx, b1, 'Device', [['_count', '100']]);
    await searchAll(ctx, b1, 'DeviceMetric', [['_count', '100']]);
    const a = ctx.pool.keys('a1');
    const b = ctx.pool.keys('b1');
    if (a.size === 0 || b.size === 0)
      skip(`patient ${a.size === 0 ? 'A' : 'B'} has no data: nothing to tell apart`);
    const shared = [...b].filter((k) => a.has(k));
    expect(shared.length === 0, `${shared.length} resources seen by both: ${shared.slice(0, 3).join(', ')}`);
    return `A ${a.size}, B ${b.size} resources`;
  });
  await ctx.rec.check(C.readAB, () => crossRead(ctx, a1, ctx.pool.of('b1')));
  await ctx.rec.check(C.readBA, () => crossRead(ctx, b1, ctx.pool.of('a1')));
  await ctx.rec.check(C.idSearch, async () => {
    const o = ctx.pool.of('b1', 'Observation')[0];
    if (!o) skip('patient B has no Observation');
    const r = await searchAll(ctx, a1, 'Observation', [['_id', o.id!]]);
    expect(r.matches.length === 0, `found ${ids(r.matches).join(', ')}`);
  });
}

export const isolationGroup: Group = { name: 'isolation', checks: C, run };
