// RFC 8414 authorization server metadata with the members and values HDDT asks for (§3.2), public (no client
// certificate), each member a check of its own.
import { defineChecks, expect, fail, skip, type CheckSpec, type Exchange } from '../check.ts';
import { GroupStopped, type Group, type KitContext } from '../context.ts';
import { DEVICE_SCOPES, MIV_SCOPE } from '../hddt-terms.ts';

const C = defineChecks('metadata', {
  reachable: {
    section: '3.2',
    level: 'MUST',
    requirement:
      'GET /.well-known/oauth-authorization-server answers 200 with a JSON object, without a client certificate',
  },
  issuer: {
    section: '3.2',
    level: 'MUST',
    requirement: 'issuer equals the DDR base URL the metadata was fetched from (RFC 8414 §3.3)',
  },
  endpoints: {
    section: '3.2',
    level: 'MUST',
    requirement: 'authorization, token, PAR and revocation endpoints are given, as https URLs',
  },
  grantTypes: {
    section: '3.2',
    level: 'MUST',
    requirement: 'grant_types_supported includes authorization_code',
  },
  noOtherFlows: {
    section: '3.1',
    level: 'MUST',
    requirement:
      'no other flow is offered to DiGA: grant_types_supported holds only authorization_code and refresh_token',
  },
  responseTypes: { section: '3.2', level: 'SHOULD', requirement: 'response_types_supported is ["code"]' },
  parRequired: {
    section: '3.2',
    level: 'MUST',
    requirement: 'require_pushed_authorization_requests is true',
  },
  pkce: { section: '3.2', level: 'MUST', requirement: 'code_challenge_methods_supported is ["S256"]' },
  tokenAuth: {
    section: '3.2',
    level: 'MUST',
    requirement: 'token_endpoint_auth_methods_supported is ["tls_client_auth"]',
  },
  revocationAuth: {
    section: '3.2',
    level: 'MUST',
    requirement: 'revocation_endpoint_auth_methods_supported is ["tls_client_auth"]',
  },
  unboundTokens: {
    section: '3.2',
    level: 'MUST',
    requirement: 'tls_client_certificate_bound_access_tokens is false',
  },
  noRequestObject: {
    section: '3.1',
    level: 'MUST',
    requirement: 'request objects are not supported: request_parameter_supported is absent or false',
  },
  scopes: {
    section: '3.2',
    level: 'MUST',
    requirement:
      'scopes_supported lists only HDDT scopes: one Observation scope per supported MIV plus Device and DeviceMetric',
  },
  serviceDocumentation: {
    section: '3.2',
    level: 'SHOULD',
    requirement: 'service_documentation points at documentation that answers 200',
  },
});

const KNOWN_SCOPES = new Set([...Object.values(MIV_SCOPE), ...DEVICE_SCOPES]);
/** Observation scopes of HDDT's other MIVs (blood pressure, lung function): accepted, not checked further. */
const OTHER_MIV_SCOPE =
  /^patient\/Observation\.rs\?code:in=https:\/\/gematik\.de\/fhir\/hddt\/ValueSet\/hddt-miv-[a-z-]+$/;

/** Members HDDT fixes to one value (lists in this order). */
const EXACT: Array<[CheckSpec, string, unknown]> = [
  [C.responseTypes, 'response_types_supported', ['code']],
  [C.parRequired, 'require_pushed_authorization_requests', true],
  [C.pkce, 'code_challenge_methods_supported', ['S256']],
  [C.tokenAuth, 'token_endpoint_auth_methods_supported', ['tls_client_auth']],
  [C.revocationAuth, 'revocation_endpoint_auth_methods_supported', ['tls_client_auth']],
  [C.unboundTokens, 'tls_client_certificate_bound_access_tokens', false],
];

const ENDPOINTS = [
  'authorization_endpoint',
  'token_endpoint',
  'pushed_authorization_request_endpoint',
  'revocation_endpoint',
];

type Member = (spec: CheckSpec, test: () => string | void) => Promise<unknown>;

async function fetchMetadata(ctx: KitContext): Promise<Record<string, unknown>> {
  const url = `${ctx.opts.base}/.well-known/oauth-authorization-server`;
  let md: Record<string, unknown> | undefined;
  await ctx.rec.check(C.reachable, async () => {
    const res = await ctx.probe.send({ url, as: 'none', headers: { accept: 'application/json' } });
    expect(res.status === 200, `HTTP ${res.status || res.error}`);
    md = res.json();
    expect(md && typeof md === 'object' && !Array.isArray(md), 'the body is not a JSON object');
    expect(/json/.test(res.header('content-type') ?? ''), `content-type ${res.header('content-type')}`);
  });
  if (!md) throw new GroupStopped('no metadata');
  return md;
}

async function flowMembers(ctx: KitContext, m: Record<string, unknown>, member: Member): Promise<void> {
  await member(C.issuer, () => expect(m.issuer === ctx.opts.base, `issuer is ${JSON.stringify(m.issuer)}`));
  await member(C.endpoints, () => {
    for (const k of ENDPOINTS) {
      expect(
        typeof m[k] === 'string' && String(m[k]).startsWith('https://'),
        `${k} is ${JSON.stringify(m[k])}`,
      );
    }
  });
  const grants = m.grant_types_supported;
  await member(C.grantTypes, () =>
    expect(
      Array.isArray(grants) && grants.includes('authorization_code'),
      `grant_types_supported is ${JSON.stringify(grants)}`,
    ),
  );
  await member(C.noOtherFlows, () => {
    if (!Array.isArray(grants)) fail('grant_types_supported is missing');
    const other = grants.filter((g) => g !== 'authorization_code' && g !== 'refresh_token');
    expect(other.length === 0, `also offers ${other.join(', ')}`);
  });
  for (const [spec, key, want] of EXACT) {
    await member(spec, () =>
      expect(JSON.stringify(m[key]) === JSON.stringify(want), `is ${JSON.stringify(m[key])}`),
    );
  }
  await member(C.noRequestObject, () =>
    expect(
      m.request_parameter_supported === undefined || m.request_parameter_supported === false,
      `is ${JSON.stringify(m.request_parameter_supported)}`,
    ),
  );
}

async function scopesMember(ctx: KitContext, m: Record<string, unknown>, member: Member): Promise<void> {
  await member(C.scopes, () => {
    const s = m.scopes_supported;
    if (!Array.isArray(s) || s.length === 0) fail('scopes_supported is missing or empty');
    const unknown = s.filter((x) => !KNOWN_SCOPES.has(String(x)) && !OTHER_MIV_SCOPE.test(String(x)));
    expect(unknown.length === 0, `not HDDT scopes: ${unknown.join(' ')}`);
    expect(ctx.offeredMivs().length > 0, 'no MIV scope among them');
    for (const d of DEVICE_SCOPES) expect(s.includes(d), `${d} is missing`);
    return `MIVs offered: ${ctx.offeredMivs().join(', ')}`;
  });
}

async function serviceDocumentation(ctx: KitContext, m: Record<string, unknown>, exchange: Exchange[]) {
  await ctx.rec.check(C.serviceDocumentation, async (run) => {
    run.cite(...exchange);
    const doc = m.service_documentation;
    if (doc === undefined) fail('service_documentation is missing');
    expect(typeof doc === 'string' && doc.startsWith('https://'), `is ${JSON.stringify(doc)}`);
    const res = await ctx.probe.send({ url: doc, as: 'none' });
    if (res.status === 0 && new URL(doc).origin !== new URL(ctx.opts.base).origin) {
      skip(`${doc} is on another host the kit cannot reach (${res.error})`);
    }
    expect(res.status === 200, `${doc} answers HTTP ${res.status || res.error}`);
  });
}

async function run(ctx: KitContext): Promise<void> {
  const m = await fetchMetadata(ctx);
  ctx.metadata = m;
  const exchange = ctx.rec.lastEvidence;
  const member: Member = (spec, test) =>
    ctx.rec.check(spec, (r) => {
      r.cite(...exchange);
      return test();
    });
  await flowMembers(ctx, m, member);
  await scopesMember(ctx, m, member);
  await serviceDocumentation(ctx, m, exchange);
}

export const metadataGroup: Group = { name: 'metadata', checks: C, run };
