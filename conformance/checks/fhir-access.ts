// Access to the resource server (§1.1, §1.4): every request needs the DiGA's certificate and a valid Bearer token;
// a missing, malformed or tampered token gets 401 with WWW-Authenticate error="invalid_token", a wrong
// certificate is refused even with a valid token.
import { defineChecks, expect, skip, type CheckSpec } from '../check.ts';
import type { Group, KitContext } from '../context.ts';
import { fhirCall } from '../fhir.ts';
import type { Identity, ProbeResponse } from '../http.ts';
import { tamperSignature } from '../jwt.ts';

const C = defineChecks('fhir-access', {
  tokenAccepted: {
    section: '1.1',
    level: 'MUST',
    requirement: 'a search with the DiGA certificate and the fresh access token answers 200',
  },
  noToken: {
    section: '1.4',
    level: 'MUST',
    requirement: 'a request without Authorization gets 401 with a WWW-Authenticate: Bearer header',
  },
  notJwt: {
    section: '1.4',
    level: 'MUST',
    requirement: 'a token that is not a signed JWT gets 401, WWW-Authenticate error="invalid_token"',
  },
  tampered: {
    section: '1.4',
    level: 'MUST',
    requirement: 'a token with a broken signature gets 401, WWW-Authenticate error="invalid_token"',
  },
  noCertificate: {
    section: '1.1',
    level: 'MUST',
    requirement: 'a valid token without a client certificate is refused (mTLS on every request)',
  },
  otherCertificate: {
    section: '1.1',
    level: 'MUST',
    requirement: "a valid token presented with another DiGA's certificate is refused",
  },
  impostor: {
    section: '1.1',
    level: 'MUST',
    requirement: 'a valid token presented with a same-subject impostor certificate is refused',
  },
});

function expectInvalidToken(res: ProbeResponse): string {
  expect(res.status === 401, `HTTP ${res.status || res.error}, not 401`);
  const www = res.header('www-authenticate') ?? '';
  expect(/^Bearer\b/i.test(www), `WWW-Authenticate is ${JSON.stringify(www)}`);
  expect(/error="invalid_token"/.test(www), `WWW-Authenticate has no error="invalid_token": ${www}`);
  return `401, ${www}`;
}

function expectRefused(res: ProbeResponse, identity: Identity): string {
  if (res.status === 0 && identity === 'none') return `refused at TLS (${res.error})`;
  expect(res.status === 401, `HTTP ${res.status || res.error}, not 401`);
  return 'HTTP 401';
}

async function run(ctx: KitContext): Promise<void> {
  const a1 = ctx.pairing('a1');
  const token = a1.tokens.access_token;
  const path = 'Observation?_count=1';
  await ctx.rec.check(C.tokenAccepted, async () => {
    const res = await fhirCall(ctx, path, { token });
    expect(res.status === 200, `HTTP ${res.status || res.error}`);
  });
  await ctx.rec.check(C.noToken, async () => {
    const res = await fhirCall(ctx, path);
    expect(res.status === 401, `HTTP ${res.status || res.error}, not 401`);
    expect(
      /^Bearer\b/i.test(res.header('www-authenticate') ?? ''),
      `WWW-Authenticate is ${res.header('www-authenticate')}`,
    );
  });
  await ctx.rec.check(C.notJwt, async () =>
    expectInvalidToken(await fhirCall(ctx, path, { token: 'not-a-signed-jwt' })),
  );
  await ctx.rec.check(C.tampered, async () => {
    if (token.split('.').length !== 3) skip('the access token is opaque: no signature to break');
    return expectInvalidToken(await fhirCall(ctx, path, { token: tamperSignature(token) }));
  });
  const byIdentity: Array<[CheckSpec, Identity]> = [
    [C.noCertificate, 'none'],
    [C.otherCertificate, 'other'],
    [C.impostor, 'impostor'],
  ];
  for (const [spec, identity] of byIdentity) {
    await ctx.rec.check(spec, async () => {
      if (!ctx.probe.has(identity))
        skip('no other DiGA certificate given (--other-client-cert/--other-client-key)');
      return expectRefused(await fhirCall(ctx, path, { token, as: identity }), identity);
    });
  }
}

export const fhirAccessGroup: Group = { name: 'fhir-access', checks: C, run };
