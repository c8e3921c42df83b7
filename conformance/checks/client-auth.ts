// PAR is required and strict (§3.1, §3.2), PKCE is S256 only, and tls_client_auth pins the registered
// certificate (§3.3): no certificate, another DiGA's certificate, and a same-subject impostor are all refused at
// /par, /token and /revoke. The token and revoke probes carry made-up tokens, so a DDR that wrongly lets a
// client through costs no real grant.
import { randomBytes } from 'node:crypto';
import { defineChecks, expect, skip, type CheckSpec } from '../check.ts';
import type { Group, KitContext } from '../context.ts';
import { scopeFor } from '../hddt-terms.ts';
import type { Identity, ProbeResponse } from '../http.ts';
import { described, oauthError, par, pkce } from '../oauth-flow.ts';

const C = defineChecks('client-auth', {
  parAccepted: {
    section: '3.2',
    level: 'MUST',
    requirement:
      'a valid PAR (client_id, scope, S256 challenge, redirect_uri, state, response_type=code) gets 201 {request_uri, expires_in}',
  },
  parNoCertificate: {
    section: '3.3',
    level: 'MUST',
    requirement: 'PAR without a client certificate is refused (401 invalid_client)',
  },
  parOtherCertificate: {
    section: '3.3',
    level: 'MUST',
    requirement:
      "PAR with the client_id but another registered DiGA's certificate is refused (401 invalid_client)",
  },
  parImpostor: {
    section: '3.3',
    level: 'MUST',
    requirement:
      'PAR with a self-signed certificate of the same subject (another key) is refused (401 invalid_client)',
  },
  parUnknownClient: {
    section: '3.3',
    level: 'MUST',
    requirement: 'PAR for a client_id not in the DiGA directory is refused (401 invalid_client)',
  },
  parPkcePlain: {
    section: '3.1',
    level: 'MUST',
    requirement: 'PAR with code_challenge_method=plain is refused (400)',
  },
  parPkceMissing: {
    section: '3.1',
    level: 'MUST',
    requirement: 'PAR without code_challenge is refused (400)',
  },
  parRedirectUri: {
    section: '3.2',
    level: 'MUST',
    requirement: 'PAR with a redirect_uri that is not registered is refused (400)',
  },
  parScope: {
    section: '3.3',
    level: 'MUST',
    requirement:
      'PAR with a scope outside the registration or in deviating syntax is refused (400 invalid_scope)',
  },
  parRequestObject: {
    section: '3.1',
    level: 'MUST',
    requirement: 'PAR with a request object (JAR) is refused (400)',
  },
  parResponseType: {
    section: '3.1',
    level: 'MUST',
    requirement: 'PAR with response_type=token is refused: the code flow only (400)',
  },
  authorizeNeedsPar: {
    section: '3.1',
    level: 'MUST',
    requirement: 'GET authorize with the parameters in the query instead of a request_uri is refused',
  },
  tokenNoCertificate: {
    section: '3.3',
    level: 'MUST',
    requirement: 'the token endpoint without a client certificate refuses (401 invalid_client)',
  },
  tokenOtherCertificate: {
    section: '3.3',
    level: 'MUST',
    requirement: "the token endpoint with another DiGA's certificate refuses (401 invalid_client)",
  },
  tokenImpostor: {
    section: '3.3',
    level: 'MUST',
    requirement: 'the token endpoint with a same-subject impostor certificate refuses (401 invalid_client)',
  },
  revokeNoCertificate: {
    section: '3.2',
    level: 'MUST',
    requirement: 'the revocation endpoint without a client certificate refuses (401 invalid_client)',
  },
});

/** Refused as a client: 401 invalid_client, or no TLS session at all for the missing certificate. */
function expectInvalidClient(res: ProbeResponse, identity: Identity): string {
  if (res.status === 0 && identity === 'none') return `refused at TLS (${res.error})`;
  expect(
    res.status === 401 && oauthError(res) === 'invalid_client',
    `${described(res)}, not 401 invalid_client`,
  );
  return 'HTTP 401 invalid_client';
}

function expect400(res: ProbeResponse, errors?: string[]): string {
  expect(res.status === 400, `${described(res)}, not 400`);
  if (errors)
    expect(
      errors.includes(oauthError(res) ?? ''),
      `error ${oauthError(res)}, expected ${errors.join(' or ')}`,
    );
  return described(res);
}

async function parChecks(ctx: KitContext, scope: string): Promise<void> {
  const needs = (identity: Identity) => {
    if (!ctx.probe.has(identity))
      skip(`no ${identity} certificate (give --other-client-cert/--other-client-key)`);
  };
  await ctx.rec.check(C.parAccepted, async () => {
    const p = await par(ctx, scope);
    expect(p.res.status === 201, `${described(p.res)}, not 201`);
    const body = p.res.json<{ request_uri?: unknown; expires_in?: unknown }>();
    expect(typeof body?.request_uri === 'string', 'no request_uri');
    expect(
      typeof body?.expires_in === 'number' && body.expires_in > 0,
      `expires_in is ${JSON.stringify(body?.expires_in)}`,
    );
    return `request_uri valid for ${String(body.expires_in)} s`;
  });
  const byIdentity: Array<[CheckSpec, Identity]> = [
    [C.parNoCertificate, 'none'],
    [C.parOtherCertificate, 'other'],
    [C.parImpostor, 'impostor'],
  ];
  for (const [spec, identity] of byIdentity) {
    await ctx.rec.check(spec, async () => {
      needs(identity);
      return expectInvalidClient((await par(ctx, scope, { as: identity })).res, identity);
    });
  }
  await ctx.rec.check(C.parUnknownClient, async () =>
    expectInvalidClient(
      (await par(ctx, scope, { change: { client_id: 'urn:diga:bfarm:00000' } })).res,
      'client',
    ),
  );
  await ctx.rec.check(C.parPkcePlain, async () => {
    const { verifier } = pkce();
    return expect400(
      (await par(ctx, scope, { change: { code_challenge: verifier, code_challenge_method: 'plain' } })).res,
    );
  });
  await ctx.rec.check(C.parPkceMissing, async () =>
    expect400(
      (await par(ctx, scope, { change: { code_challenge: undefined, code_challenge_method: undefined } }))
        .res,
    ),
  );
  await ctx.rec.check(C.parRedirectUri, async () => {
    const other = new URL(ctx.opts.redirectUri);
    other.pathname = `${other.pathname.replace(/\/$/, '')}/not-registered`;
    return expect400((await par(ctx, scope, { change: { redirect_uri: other.href } })).res);
  });
  await ctx.rec.check(C.parScope, async () => {
    const [first, ...rest] = scope.split(' ');
    const bad = [
      `${scope} patient/Patient.rs`,
      [`${first}|1.0.1`, ...rest].join(' '),
      [first!.replace('patient/Observation.rs', 'patient/observation.rs'), ...rest].join(' '),
    ];
    for (const s of bad) expect400((await par(ctx, s, {})).res, ['invalid_scope']);
    return `${bad.length} deviating scopes refused with invalid_scope`;
  });
  await ctx.rec.check(C.parRequestObject, async () => {
    const jwt = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.`;
    return expect400((await par(ctx, scope, { change: { request: jwt } })).res);
  });
  await ctx.rec.check(C.parResponseType, async () =>
    expect400((await par(ctx, scope, { change: { response_type: 'token' } })).res),
  );
}

async function authorizeCheck(ctx: KitContext, scope: string): Promise<void> {
  await ctx.rec.check(C.authorizeNeedsPar, async () => {
    const u = new URL(ctx.endpoint('authorization_endpoint'));
    const { challenge } = pkce();
    for (const [k, v] of Object.entries({
      client_id: ctx.opts.clientId,
      response_type: 'code',
      redirect_uri: ctx.opts.redirectUri,
      scope,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'kit',
    })) {
      u.searchParams.set(k, v);
    }
    const res = await ctx.probe.send({ url: u.href, as: 'none' });
    const location = res.header('location') ?? '';
    if (res.status >= 300 && res.status < 400) {
      expect(
        location.startsWith(ctx.opts.redirectUri) && /[?&]error=/.test(location),
        `redirects to ${location.split('?')[0]} instead of refusing`,
      );
      return `redirected back with an error`;
    }
    expect(res.status >= 400, `HTTP ${res.status || res.error}`);
    return `HTTP ${res.status}`;
  });
}

async function tokenChecks(ctx: KitContext): Promise<void> {
  const bogus = randomBytes(24).toString('base64url');
  const byIdentity: Array<[CheckSpec, Identity]> = [
    [C.tokenNoCertificate, 'none'],
    [C.tokenOtherCertificate, 'other'],
    [C.tokenImpostor, 'impostor'],
  ];
  for (const [spec, identity] of byIdentity) {
    await ctx.rec.check(spec, async () => {
      if (!ctx.probe.has(identity))
        skip('no other DiGA certificate given (--other-client-cert/--other-client-key)');
      const res = await ctx.probe.send({
        url: ctx.endpoint('token_endpoint'),
        as: identity,
        form: { grant_type: 'refresh_token', client_id: ctx.opts.clientId, refresh_token: bogus },
      });
      return expectInvalidClient(res, identity);
    });
  }
  await ctx.rec.check(C.revokeNoCertificate, async () => {
    const res = await ctx.probe.send({
      url: ctx.endpoint('revocation_endpoint'),
      as: 'none',
      form: { client_id: ctx.opts.clientId, token: bogus, token_type_hint: 'refresh_token' },
    });
    return expectInvalidClient(res, 'none');
  });
}

async function run(ctx: KitContext): Promise<void> {
  const mivs = ctx.offeredMivs();
  const scope = scopeFor(mivs.length > 0 ? mivs : ['bloodGlucose']);
  await parChecks(ctx, scope);
  await authorizeCheck(ctx, scope);
  await tokenChecks(ctx);
}

export const clientAuthGroup: Group = { name: 'client-auth', checks: C, run };
