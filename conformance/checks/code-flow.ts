// The authorization code flow (§3.2) with test patient A's login and consent driven in Chromium: the redirect
// back carries the code and our state, the token response has every member HDDT lists and is not cacheable,
// the request_uri is spent, and the Pairing ID is not identifying (§3.5).
import { defineChecks, expect, fail } from '../check.ts';
import type { Group, KitContext, Pairing } from '../context.ts';
import { mivsOfScope, scopeFor } from '../hddt-terms.ts';
import { authorizeUrl, pair } from '../oauth-flow.ts';

const C = defineChecks('code-flow', {
  redirect: {
    section: '3.2',
    level: 'MUST',
    requirement:
      'after login and consent the browser is redirected to the redirect_uri with a code and the unchanged state',
  },
  tokenResponse: {
    section: '3.2',
    level: 'MUST',
    requirement:
      'the code exchange answers 200 with access_token, refresh_token, token_type Bearer, expires_in, scope and sub',
  },
  noStore: {
    section: '3.2',
    level: 'MUST',
    requirement: 'the token response carries Cache-Control: no-store (RFC 6749 §5.1)',
  },
  grantedScope: {
    section: '3.2',
    level: 'MUST',
    requirement: 'the granted scope names the consented MIVs and nothing that was not requested',
  },
  requestUriOnce: {
    section: '3.2',
    level: 'SHOULD',
    requirement: 'a request_uri that was used once is refused the second time (RFC 9126 §2.2)',
  },
  pairingIdNotIdentifying: {
    section: '3.5',
    level: 'MUST',
    requirement:
      'the Pairing ID (sub) is not identifying: it contains no credential or name of the patient and is long enough to be unguessable',
  },
});

async function run(ctx: KitContext): Promise<void> {
  const mivs = ctx.offeredMivs();
  let a1: Pairing | undefined;
  await ctx.rec.check(C.redirect, async (r) => {
    try {
      a1 = await pair(ctx, 'a1', 'a', mivs);
    } catch (err) {
      r.cite(...ctx.browsers.exchanges.slice(-8));
      fail((err as Error).message);
    }
    r.cite(...ctx.browsers.exchanges.slice(-8));
    expect(
      a1.callback.href.startsWith(ctx.opts.redirectUri),
      `redirected to ${a1.callback.origin}${a1.callback.pathname}`,
    );
    expect(a1.callback.searchParams.get('state') === a1.state, 'the state differs from the one sent');
    return `patient A consented to ${mivs.join(', ')}`;
  });
  if (!a1) return;
  const p = a1;
  const t = p.tokens;
  await ctx.rec.check(C.tokenResponse, (r) => {
    r.cite(p.tokenExchange);
    expect(typeof t.access_token === 'string' && t.access_token.length > 0, 'no access_token');
    expect(typeof t.refresh_token === 'string' && t.refresh_token.length > 0, 'no refresh_token');
    expect(String(t.token_type).toLowerCase() === 'bearer', `token_type is ${JSON.stringify(t.token_type)}`);
    expect(
      typeof t.expires_in === 'number' && t.expires_in > 0,
      `expires_in is ${JSON.stringify(t.expires_in)}`,
    );
    expect(typeof t.scope === 'string' && t.scope.length > 0, 'no scope');
    expect(typeof t.sub === 'string' && t.sub.length > 0, 'no sub (the Pairing ID)');
    return `access token valid for ${t.expires_in} s`;
  });
  await ctx.rec.check(C.noStore, (r) => {
    r.cite(p.tokenExchange);
    const cc = p.tokenExchange.response?.headers['cache-control'] ?? '';
    expect(/no-store/i.test(cc), `Cache-Control is ${JSON.stringify(cc)}`);
  });
  await ctx.rec.check(C.grantedScope, (r) => {
    r.cite(p.tokenExchange);
    const granted = mivsOfScope(t.scope);
    expect(
      p.mivs.every((m) => granted.includes(m)),
      `granted ${t.scope}`,
    );
    const requested = new Set(scopeFor(p.mivs).split(' '));
    const extra = t.scope.split(' ').filter((s) => !requested.has(s));
    expect(extra.length === 0, `granted what was not requested: ${extra.join(' ')}`);
  });
  await ctx.rec.check(C.requestUriOnce, async () => {
    const res = await ctx.probe.send({ url: authorizeUrl(ctx, p.requestUri), as: 'none' });
    const loc = res.header('location') ?? '';
    const refused = res.status >= 400 || (loc.startsWith(ctx.opts.redirectUri) && /[?&]error=/.test(loc));
    expect(refused, `HTTP ${res.status}${loc ? ` to ${loc.split('?')[0]}` : ''}`);
  });
  await ctx.rec.check(C.pairingIdNotIdentifying, (r) => {
    r.cite(p.tokenExchange);
    const creds = Object.values(ctx.opts.login?.patients.a ?? {}).filter((v) => v.length >= 3);
    const hit = creds.find((c) => t.sub.toLowerCase().includes(c.toLowerCase()));
    expect(!hit, 'the Pairing ID contains a credential of the patient');
    expect(t.sub.length >= 22, `the Pairing ID has only ${t.sub.length} characters`);
  });
}

export const codeFlowGroup: Group = { name: 'code-flow', checks: C, run };
