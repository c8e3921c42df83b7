// The access token (§3.4): HDDT allows opaque tokens or JWTs; a JWT must be signed, not encrypted, not bound to
// the certificate (§3.1), its sub the Pairing ID and free of personal identifiers. The JWT access token profile
// (RFC 9068) is not named by HDDT, so its claims are checked as SHOULD: typ at+jwt, iss, aud, exp, iat, jti,
// client_id, scope.
import { defineChecks, expect, fail, skip, type CheckSpec } from '../check.ts';
import type { Group, KitContext } from '../context.ts';
import { decodeJwt, type DecodedJwt } from '../jwt.ts';

const C = defineChecks('token-claims', {
  signed: {
    section: '3.4',
    level: 'MUST',
    requirement: 'a JWT access token is signed (a JWS with an algorithm other than none)',
  },
  notEncrypted: { section: '3.2', level: 'MUST', requirement: 'the access token is not encrypted (no JWE)' },
  sub: {
    section: '3.4',
    level: 'MUST',
    requirement: 'the sub claim, if present, is the Pairing ID of the token response',
  },
  noPersonalData: {
    section: '3.4',
    level: 'MUST',
    requirement:
      'the token carries no personal or internal identifier of the patient (no name, username, e-mail)',
  },
  notBound: {
    section: '3.1',
    level: 'MUST',
    requirement: 'the access token is not certificate-bound (no cnf claim)',
  },
  typ: { section: '3.4', level: 'SHOULD', requirement: 'RFC 9068 §2.1: the JOSE header typ is at+jwt' },
  iss: { section: '3.4', level: 'SHOULD', requirement: 'RFC 9068 §2.2: iss is the issuer of the metadata' },
  aud: {
    section: '3.4',
    level: 'SHOULD',
    requirement: 'RFC 9068 §2.2: aud names the resource server (the FHIR base URL)',
  },
  exp: {
    section: '3.4',
    level: 'SHOULD',
    requirement:
      'RFC 9068 §2.2: exp and iat are given and exp - iat matches expires_in of the token response',
  },
  jti: { section: '3.4', level: 'SHOULD', requirement: 'RFC 9068 §2.2: jti is given' },
  clientId: {
    section: '3.4',
    level: 'SHOULD',
    requirement: 'RFC 9068 §2.2: client_id is the DiGA client_id',
  },
  scope: {
    section: '3.4',
    level: 'SHOULD',
    requirement: 'RFC 9068 §2.2.3: the scope claim is the granted scope',
  },
});

function audiences(p: Record<string, unknown>): string[] {
  const a = p.aud;
  return typeof a === 'string'
    ? [a]
    : Array.isArray(a)
      ? a.filter((x): x is string => typeof x === 'string')
      : [];
}

async function run(ctx: KitContext): Promise<void> {
  const a1 = ctx.pairing('a1');
  const token = a1.tokens.access_token;
  const jwt = decodeJwt(token);
  const ev = a1.tokenExchange;
  const claim = (spec: CheckSpec, fn: (j: DecodedJwt) => string | void) =>
    ctx.rec.check(spec, (r) => {
      r.cite(ev);
      if (!jwt) skip('the access token is opaque (HDDT allows that): no claims to check');
      r.note(`header ${JSON.stringify(jwt.header)}, claims ${JSON.stringify(jwt.payload)}`);
      return fn(jwt);
    });

  await ctx.rec.check(C.notEncrypted, (r) => {
    r.cite(ev);
    expect(token.split('.').length !== 5, 'the access token is a JWE (five parts)');
  });
  await claim(C.signed, (j) => {
    expect(
      typeof j.header.alg === 'string' && j.header.alg.toLowerCase() !== 'none',
      `alg is ${JSON.stringify(j.header.alg)}`,
    );
    expect((j.parts[2] ?? '').length > 0, 'the signature part is empty');
  });
  await claim(C.sub, (j) => {
    if (j.payload.sub === undefined) return 'no sub claim';
    expect(j.payload.sub === a1.tokens.sub, 'sub differs from the token response');
  });
  await claim(C.noPersonalData, (j) => {
    const text = JSON.stringify(j.payload).toLowerCase();
    const creds = Object.values(ctx.opts.login?.patients.a ?? {}).filter((v) => v.length >= 3);
    const hit = creds.find((c) => text.includes(c.toLowerCase()));
    expect(!hit, 'a credential of test patient A is in the token');
    for (const k of ['name', 'email', 'preferred_username', 'given_name', 'family_name', 'birthdate']) {
      expect(!(k in j.payload), `claim ${k} present`);
    }
  });
  await claim(C.notBound, (j) => expect(!('cnf' in j.payload), 'cnf claim present'));
  await claim(C.typ, (j) => {
    const typ = String(j.header.typ ?? '').toLowerCase();
    expect(typ === 'at+jwt' || typ === 'application/at+jwt', `typ is ${JSON.stringify(j.header.typ)}`);
  });
  await claim(C.iss, (j) =>
    expect(j.payload.iss === ctx.metadata?.issuer, `iss is ${JSON.stringify(j.payload.iss)}`),
  );
  await claim(C.aud, (j) => {
    const aud = audiences(j.payload);
    if (aud.length === 0) fail('no aud claim');
    const base = ctx.opts.fhirBase;
    const ok = aud.some((a) => a.replace(/\/$/, '') === base || a === new URL(base).origin);
    expect(ok, `aud ${JSON.stringify(j.payload.aud)} does not name ${base}`);
  });
  await claim(C.exp, (j) => {
    const { exp, iat } = j.payload;
    if (typeof exp !== 'number' || typeof iat !== 'number') fail(`exp ${String(exp)}, iat ${String(iat)}`);
    expect(exp > iat, 'exp is not after iat');
    expect(
      Math.abs(exp - iat - a1.tokens.expires_in) <= 10,
      `exp - iat = ${exp - iat} s, expires_in ${a1.tokens.expires_in} s`,
    );
  });
  await claim(C.jti, (j) => expect(typeof j.payload.jti === 'string' && j.payload.jti.length > 0, 'no jti'));
  await claim(C.clientId, (j) =>
    expect(j.payload.client_id === ctx.opts.clientId, `client_id is ${JSON.stringify(j.payload.client_id)}`),
  );
  await claim(C.scope, (j) => {
    const want = new Set(a1.tokens.scope.split(' '));
    const got = typeof j.payload.scope === 'string' ? j.payload.scope.split(' ') : [];
    expect(
      got.length === want.size && got.every((s) => want.has(s)),
      `scope claim is ${JSON.stringify(j.payload.scope)}`,
    );
  });
}

export const tokenClaimsGroup: Group = { name: 'token-claims', checks: C, run };
