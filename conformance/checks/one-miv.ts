// A grant for one MIV (§3.6, §1.3, §3.5): patient A consents again, to blood glucose only; the Pairing ID stays,
// the other MIV's Observations and devices are invisible (404 on read, empty on search), the CGM summary is
// refused. Then revocation (§3.2) on that pairing: 200, and the grant's tokens stop working.
import { defineChecks, expect, skip } from '../check.ts';
import type { FhirResource, Group, KitContext, Pairing } from '../context.ts';
import { fhirCall, ids, searchAll } from '../fhir.ts';
import { LOINC, MIV_CODES, mivOf, type MivId } from '../hddt-terms.ts';
import { described, oauthError, pair, refreshGrant, revokeToken } from '../oauth-flow.ts';

const C = defineChecks('one-miv', {
  pairingIdStable: {
    section: '3.5',
    level: 'MUST',
    requirement: 'a new consent of the same patient for the same DiGA keeps the Pairing ID',
  },
  searchOnlyGranted: {
    section: '3.6',
    level: 'MUST',
    requirement: 'with a one-MIV grant, Observation search returns only that MIV',
  },
  otherMivRead: {
    section: '3.6',
    level: 'MUST',
    requirement: 'reading an Observation of the other MIV gives 404',
  },
  otherMivCode: {
    section: '1.3',
    level: 'MUST',
    requirement: 'an explicit code of the other MIV gives 200 and an empty searchset',
  },
  otherDevices: {
    section: '3.6',
    level: 'MUST',
    requirement: 'devices only the other MIV’s Observations reference are neither found nor readable (404)',
  },
  cgmSummaryRefused: {
    section: '2.6',
    level: 'MUST',
    requirement: '$hddt-cgm-summary is refused to a grant without the CGM MIV',
  },
});

const R = defineChecks('revocation', {
  revoke: { section: '3.2', level: 'MUST', requirement: 'POST revoke with the refresh token answers 200' },
  accessTokenDead: {
    section: '3.2',
    level: 'MUST',
    requirement: 'after revocation the grant’s access token gets 401',
  },
  refreshTokenDead: {
    section: '3.2',
    level: 'MUST',
    requirement: 'after revocation the refresh token is refused (400 invalid_grant)',
  },
  again: {
    section: '3.2',
    level: 'MUST',
    requirement: 'revoking an already revoked token answers 200 as well',
  },
});

const refKey = (r: FhirResource, f: string) =>
  ((r[f] as { reference?: string } | undefined)?.reference ?? '').split('/').slice(-2).join('/');

async function visibility(ctx: KitContext, a2: Pairing, granted: MivId, other: MivId): Promise<void> {
  const inv = ctx.inventory('a1');
  const otherObs = inv.observations.filter((o) => mivOf(o as never) === other);
  await ctx.rec.check(C.searchOnlyGranted, async () => {
    const r = await searchAll(ctx, a2, 'Observation', [['_count', '100']]);
    const wrong = r.matches.filter((o) => mivOf(o as never) !== granted);
    expect(
      wrong.length === 0,
      `${wrong.length} Observations of another MIV: ${ids(wrong).slice(0, 3).join(', ')}`,
    );
    return `${r.matches.length} ${granted} Observations`;
  });
  await ctx.rec.check(C.otherMivRead, async () => {
    if (otherObs.length === 0) skip(`patient A has no ${other} Observations`);
    for (const o of otherObs.slice(0, 3)) {
      const res = await fhirCall(ctx, `Observation/${o.id}`, { token: a2.tokens.access_token });
      expect(res.status === 404, `Observation/${o.id}: HTTP ${res.status}`);
    }
  });
  await ctx.rec.check(C.otherMivCode, async () => {
    const code = Object.keys(MIV_CODES[other])[0]!;
    const r = await searchAll(ctx, a2, 'Observation', [['code', `${LOINC}|${code}`]]);
    expect(r.matches.length === 0, `${r.matches.length} matches for ${code}`);
  });
  await ctx.rec.check(C.otherDevices, async () => {
    const grantedRefs = new Set(
      inv.observations.filter((o) => mivOf(o as never) === granted).map((o) => refKey(o, 'device')),
    );
    for (const m of inv.metrics)
      if (grantedRefs.has(`DeviceMetric/${m.id}`)) grantedRefs.add(refKey(m, 'source'));
    const only = [...inv.devices, ...inv.metrics].filter(
      (d) => !grantedRefs.has(`${d.resourceType}/${d.id}`),
    );
    const found = [
      ...(await searchAll(ctx, a2, 'Device', [['_count', '100']])).matches,
      ...(await searchAll(ctx, a2, 'DeviceMetric', [['_count', '100']])).matches,
    ];
    const leaked = found.filter((d) => only.some((x) => x.resourceType === d.resourceType && x.id === d.id));
    expect(leaked.length === 0, `found ${ids(leaked).join(', ')}`);
    if (only.length === 0) return 'every device of A also measured the granted MIV';
    for (const d of only.slice(0, 4)) {
      const res = await fhirCall(ctx, `${d.resourceType}/${d.id}`, { token: a2.tokens.access_token });
      expect(res.status === 404, `${d.resourceType}/${d.id}: HTTP ${res.status}`);
    }
    return `${only.length} devices of the other MIV hidden`;
  });
  await ctx.rec.check(C.cgmSummaryRefused, async () => {
    if (granted === 'cgm') skip('the one-MIV grant is CGM');
    const res = await fhirCall(ctx, 'Observation/$hddt-cgm-summary', {
      token: a2.tokens.access_token,
      method: 'POST',
      contentType: 'application/fhir+json',
      body: JSON.stringify({ resourceType: 'Parameters' }),
    });
    expect(res.status >= 400 && res.status < 500 && res.status !== 403, `HTTP ${res.status}`);
  });
}

async function revocation(ctx: KitContext, a2: Pairing): Promise<void> {
  const t = a2.tokens;
  let revoked = false;
  await ctx.rec.check(R.revoke, async () => {
    const res = await revokeToken(ctx, t.refresh_token);
    expect(res.status === 200, `${described(res)}`);
    revoked = true;
  });
  const needs = () => {
    if (!revoked) skip('the revocation failed');
  };
  await ctx.rec.check(R.accessTokenDead, async () => {
    needs();
    const res = await fhirCall(ctx, 'Observation?_count=1', { token: t.access_token });
    expect(res.status === 401, `HTTP ${res.status}`);
  });
  await ctx.rec.check(R.refreshTokenDead, async () => {
    needs();
    const res = await refreshGrant(ctx, t.refresh_token);
    expect(
      res.status === 400 && oauthError(res) === 'invalid_grant',
      `${described(res)}, not 400 invalid_grant`,
    );
  });
  await ctx.rec.check(R.again, async () => {
    needs();
    const res = await revokeToken(ctx, t.refresh_token);
    expect(res.status === 200, `${described(res)}`);
  });
}

async function run(ctx: KitContext): Promise<void> {
  const a1 = ctx.pairing('a1');
  const offered = ctx.offeredMivs();
  const granted: MivId = offered.includes('bloodGlucose') ? 'bloodGlucose' : offered[0]!;
  const other = offered.find((m) => m !== granted);
  const a2 = await pair(ctx, 'a2', 'a', [granted]);
  await ctx.rec.check(C.pairingIdStable, (r) => {
    r.cite(a1.tokenExchange, a2.tokenExchange);
    expect(a2.tokens.sub === a1.tokens.sub, 'the second consent got another sub');
  });
  if (other) await visibility(ctx, a2, granted, other);
  else ctx.rec.skipAll(Object.values(C), 'the DDR offers only one MIV');
  await revocation(ctx, a2);
}

export const oneMivGroup: Group = { name: 'one-miv', checks: { ...C, ...R }, run };
