// The authorization code (§3.1: PKCE S256, RFC 9700; RFC 6749 §4.1.2): a code exchanged with the wrong PKCE
// verifier is refused; a code is good for one exchange, the second is refused, and the tokens of the first
// stop working. Runs on patient B, whose earlier pairing the refresh checks ended: B pairs again.
import { randomBytes } from 'node:crypto';
import { defineChecks, expect, skip } from '../check.ts';
import type { Group, KitContext, TokenSet } from '../context.ts';
import { fhirCall } from '../fhir.ts';
import { authorizeCode, described, exchangeCode, oauthError, tokenSet } from '../oauth-flow.ts';

const C = defineChecks('code-reuse', {
  wrongVerifier: {
    section: '3.1',
    level: 'MUST',
    requirement: 'a code exchanged with a wrong PKCE verifier is refused (400 invalid_grant)',
  },
  secondExchange: {
    section: '3.1',
    level: 'MUST',
    requirement: 'a code exchanged a second time is refused (400 invalid_grant)',
  },
  revokesTokens: {
    section: '3.1',
    level: 'SHOULD',
    requirement: 'after a code was used twice, the tokens issued for it stop working (RFC 6749 §4.1.2)',
  },
});

async function run(ctx: KitContext): Promise<void> {
  const mivs = ctx.offeredMivs();
  await ctx.rec.check(C.wrongVerifier, async () => {
    const a = await authorizeCode(ctx, 'b', mivs);
    const res = await exchangeCode(ctx, a.code, randomBytes(32).toString('base64url'));
    tokenSet(ctx, res);
    expect(
      res.status === 400 && oauthError(res) === 'invalid_grant',
      `${described(res)}, not 400 invalid_grant`,
    );
  });
  let first: TokenSet | undefined;
  await ctx.rec.check(C.secondExchange, async () => {
    const a = await authorizeCode(ctx, 'b', mivs);
    const res = await exchangeCode(ctx, a.code, a.par.verifier);
    first = tokenSet(ctx, res);
    if (!first) skip(`the first exchange failed (${described(res)})`);
    const again = await exchangeCode(ctx, a.code, a.par.verifier);
    tokenSet(ctx, again);
    expect(
      again.status === 400 && oauthError(again) === 'invalid_grant',
      `${described(again)}, not 400 invalid_grant`,
    );
  });
  const t = first;
  await ctx.rec.check(C.revokesTokens, async () => {
    if (!t) skip('no first exchange');
    const res = await fhirCall(ctx, 'Observation?_count=1', { token: t.access_token });
    expect(res.status === 401, `the access token of the first exchange: HTTP ${res.status}`);
  });
}

export const codeReuseGroup: Group = { name: 'code-reuse', checks: C, run };
