// Refresh tokens (§3.4, §3.1 with RFC 9700 §4.14.2), on patient B's pairing after the isolation checks: a
// refresh rotates the refresh token and gives a working access token; the old refresh token is refused; using
// it revokes the grant, so the new refresh token and access token stop working too.
import { defineChecks, expect, skip } from '../check.ts';
import type { Group, KitContext, TokenSet } from '../context.ts';
import { fhirCall } from '../fhir.ts';
import { described, oauthError, refreshGrant, tokenSet } from '../oauth-flow.ts';

const C = defineChecks('refresh', {
  rotation: {
    section: '3.4',
    level: 'MUST',
    requirement:
      'a refresh answers 200 with a new access token and a new refresh token (rotation), same scope and sub',
  },
  newAccessToken: {
    section: '3.4',
    level: 'MUST',
    requirement: 'the refreshed access token is accepted by the resource server',
  },
  oldRefused: {
    section: '3.1',
    level: 'MUST',
    requirement: 'the rotated (old) refresh token is refused: 400 invalid_grant',
  },
  reuseRevokesRefresh: {
    section: '3.1',
    level: 'SHOULD',
    requirement:
      'after the old refresh token was used again, the new refresh token is refused too (the grant is revoked)',
  },
  reuseRevokesAccess: {
    section: '3.1',
    level: 'SHOULD',
    requirement: 'after the old refresh token was used again, the access token of the grant gets 401',
  },
});

async function run(ctx: KitContext): Promise<void> {
  const b1 = ctx.pairing('b1');
  const old = b1.tokens;
  let fresh: TokenSet | undefined;
  await ctx.rec.check(C.rotation, async () => {
    const res = await refreshGrant(ctx, old.refresh_token);
    fresh = tokenSet(ctx, res);
    expect(fresh, `${described(res)}`);
    expect(
      typeof fresh.refresh_token === 'string' && fresh.refresh_token !== old.refresh_token,
      'no new refresh token',
    );
    expect(fresh.access_token !== old.access_token, 'the same access token again');
    expect(fresh.sub === undefined || fresh.sub === old.sub, 'another sub');
    const a = new Set(fresh.scope?.split(' ') ?? []);
    expect(
      old.scope.split(' ').every((s) => a.has(s)),
      `scope ${fresh.scope}`,
    );
  });
  const f = fresh;
  await ctx.rec.check(C.newAccessToken, async () => {
    if (!f) skip('the refresh failed');
    const res = await fhirCall(ctx, 'Observation?_count=1', { token: f.access_token });
    expect(res.status === 200, `HTTP ${res.status}`);
  });
  await ctx.rec.check(C.oldRefused, async () => {
    if (!f) skip('the refresh failed');
    const res = await refreshGrant(ctx, old.refresh_token);
    expect(
      res.status === 400 && oauthError(res) === 'invalid_grant',
      `${described(res)}, not 400 invalid_grant`,
    );
  });
  await ctx.rec.check(C.reuseRevokesAccess, async () => {
    if (!f) skip('the refresh failed');
    const res = await fhirCall(ctx, 'Observation?_count=1', { token: f.access_token });
    expect(res.status === 401, `HTTP ${res.status}`);
  });
  await ctx.rec.check(C.reuseRevokesRefresh, async () => {
    if (!f) skip('the refresh failed');
    const res = await refreshGrant(ctx, f.refresh_token);
    tokenSet(ctx, res);
    expect(
      res.status === 400 && oauthError(res) === 'invalid_grant',
      `${described(res)}, not 400 invalid_grant`,
    );
  });
}

export const refreshGroup: Group = { name: 'refresh', checks: C, run };
