// The DiGA's access log line of one request (HDDT §4.5, the fields in lib/request-log-fields.ts), named as the
// gateway names it (server/audit/request-log-plugin.ts): interface_id `oauth:par`, `fhir:Observation:read`, …,
// event_type Transfer (FHIR data), Connection (authorization steps, every 401), Heartbeat (metadata).
// What a line never holds: query strings, bodies, headers, codes, tokens, PKCE verifiers, request_uri values,
// passwords, TOTP values, client assertions. Error texts come from the server; they are masked anyway (the
// request's own secrets, `name=value` pairs of secret parameters, Bearer values, JWTs).
import type * as oauth from 'oauth4webapi';
import type { EventType, MonitoringFields } from '../lib/request-log-fields.ts';
import { header, type Exchange } from './http.ts';

const OAUTH_IDS = {
  pushed_authorization_request_endpoint: 'oauth:par',
  authorization_endpoint: 'oauth:authorize',
  token_endpoint: 'oauth:token',
  revocation_endpoint: 'oauth:revoke',
} as const;
/** Where the endpoints are until the metadata names them (the gateway's own paths). */
const DEFAULT_PATHS: Record<keyof typeof OAUTH_IDS, string> = {
  pushed_authorization_request_endpoint: '/par',
  authorization_endpoint: '/authorize',
  token_endpoint: '/token',
  revocation_endpoint: '/revoke',
};
const WELL_KNOWN = '/.well-known/oauth-authorization-server';
const GRANT_TYPES = new Set(['authorization_code', 'refresh_token']);
/** Form and JSON parameters whose values must never be logged. */
const SECRET_PARAMS = [
  'code',
  'code_verifier',
  'code_challenge',
  'state',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'request_uri',
  'client_assertion',
  'password',
  'totp',
  'otp',
];
const SECRET_PAIR_RE = new RegExp(`\\b(${SECRET_PARAMS.join('|')})=[^&\\s"',;]+`, 'gi');
const BEARER_RE = /\bBearer\s+[^\s"',;]+/gi;
const JWT_RE = /\beyJ[\w-]*\.[\w-]+\.[\w-]*/g;
const ERROR_RE = /^[a-z_]{1,40}$/;
const TYPE_RE = /^[A-Z][A-Za-z]{1,63}$/;
const MAX_TEXT = 200;

/** Replaces the given secret values and anything that looks like a secret parameter, a Bearer value or a JWT. */
export function maskSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s.length >= 6) out = out.split(s).join('***');
  return out.replace(SECRET_PAIR_RE, '$1=***').replace(BEARER_RE, 'Bearer ***').replace(JWT_RE, '***');
}

/** The secret values a request carries: its Bearer token and the values of secret form parameters. */
export function secretsOf(x: Pick<Exchange, 'headers' | 'body'>): string[] {
  const out: string[] = [];
  const auth = Object.entries(x.headers).find(([k]) => k.toLowerCase() === 'authorization')?.[1];
  const bearer = auth && /^Bearer\s+(\S+)/i.exec(auth)?.[1];
  if (bearer) out.push(bearer);
  if (x.body !== undefined && !x.body.trimStart().startsWith('{')) {
    for (const [k, v] of new URLSearchParams(x.body)) if (SECRET_PARAMS.includes(k)) out.push(v);
  }
  return out;
}

function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

const clip = (s: string) => (s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT - 1)}…` : s);

/** The path below `base` as decoded segments, or undefined when `url` is not below it. */
function below(url: URL, base: URL): string[] | undefined {
  const root = base.pathname.replace(/\/+$/, '');
  if (url.origin !== base.origin) return undefined;
  if (url.pathname !== root && !url.pathname.startsWith(`${root}/`)) return undefined;
  return url.pathname
    .slice(root.length)
    .split('/')
    .filter(Boolean)
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
}

/** FHIR interface names as the gateway gives them (server/fhir: read, vread, search-type, operations). */
export function fhirInterface(method: string, segments: readonly string[]): string {
  const [type, second, third, fourth] = segments;
  if (segments.length === 1 && type === 'metadata') return 'fhir:metadata';
  if (!type || !TYPE_RE.test(type)) return 'fhir';
  if (segments.length === 1) return `fhir:${type}:search-type`;
  if (segments.length === 2 && second === '_search' && method === 'POST') return `fhir:${type}:search-type`;
  if (segments.length === 2 && second!.startsWith('$')) return `fhir:${type}:${second}`;
  if (segments.length === 2) return `fhir:${type}:read`;
  if (segments.length === 4 && third === '_history' && fourth) return `fhir:${type}:vread`;
  return 'fhir';
}

const eventOf = (interfaceId: string, status: number): EventType =>
  status === 401
    ? 'Connection'
    : interfaceId.endsWith(':metadata')
      ? 'Heartbeat'
      : interfaceId.startsWith('fhir')
        ? 'Transfer'
        : 'Connection';

interface ErrorFacts {
  code: string | null;
  description: string | null;
}

/** The error of a refused request: the WWW-Authenticate challenge, an OAuth error body or an OperationOutcome. */
export function errorFacts(res: NonNullable<Exchange['response']>): ErrorFacts {
  const none = { code: null, description: null };
  if (res.status < 400) return none;
  const challenge = header(res, 'www-authenticate') ?? '';
  const challenged = /\berror="([a-z_]{1,40})"/.exec(challenge)?.[1];
  if (challenged) {
    return { code: challenged, description: /error_description="([^"]*)"/.exec(challenge)?.[1] ?? null };
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(res.text) as Record<string, unknown>;
  } catch {
    return none;
  }
  if (!body || typeof body !== 'object') return none;
  if (typeof body.error === 'string' && ERROR_RE.test(body.error)) {
    const d = body.error_description;
    return { code: body.error, description: typeof d === 'string' ? d : null };
  }
  if (body.resourceType !== 'OperationOutcome' || !Array.isArray(body.issue)) return none;
  const issue = body.issue[0] as
    | {
        code?: unknown;
        diagnostics?: unknown;
        details?: { text?: unknown; coding?: Array<{ code?: unknown }> };
      }
    | undefined;
  const coded = issue?.details?.coding?.[0]?.code;
  const code = typeof coded === 'string' ? coded : typeof issue?.code === 'string' ? issue.code : null;
  const text = issue?.diagnostics ?? issue?.details?.text;
  return { code, description: typeof text === 'string' ? text : null };
}

/** The Pairing ID a successful token response names (`sub`), never anything else of it. */
function pairingOfTokenResponse(res: NonNullable<Exchange['response']>): string | undefined {
  try {
    const sub = (JSON.parse(res.text) as { sub?: unknown }).sub;
    return typeof sub === 'string' && sub.length <= 128 ? sub : undefined;
  } catch {
    return undefined;
  }
}

export interface AccessLineContext {
  clientId: string;
  issuer: string;
  fhirBase: string;
  now: () => number;
}

/** Turns finished requests into access log lines; `useMetadata` names the OAuth endpoints once discovered. */
export class AccessLines {
  private readonly ctx: AccessLineContext;
  private readonly issuer: URL;
  private readonly fhirBase: URL;
  private readonly oauthIds = new Map<string, string>();

  constructor(ctx: AccessLineContext) {
    this.ctx = ctx;
    this.issuer = new URL(ctx.issuer);
    this.fhirBase = new URL(ctx.fhirBase);
    const root = ctx.issuer.replace(/\/+$/, '');
    for (const [k, p] of Object.entries(DEFAULT_PATHS)) {
      this.oauthIds.set(root + p, OAUTH_IDS[k as keyof typeof OAUTH_IDS]);
    }
  }

  useMetadata(as: oauth.AuthorizationServer): void {
    for (const [k, id] of Object.entries(OAUTH_IDS)) {
      const url = as[k as keyof typeof OAUTH_IDS];
      if (typeof url === 'string') this.oauthIds.set(url.replace(/\/+$/, ''), id);
    }
  }

  interfaceOf(method: string, target: string): string {
    const url = parse(target);
    if (!url) return 'other';
    const id = this.oauthIds.get(`${url.origin}${url.pathname.replace(/\/+$/, '')}`);
    if (id) return id;
    if (url.origin === this.issuer.origin && url.pathname.startsWith(WELL_KNOWN)) return 'oauth:metadata';
    const segments = below(url, this.fhirBase);
    return segments ? fhirInterface(method, segments) : 'other';
  }

  line(x: Exchange): MonitoringFields {
    const interfaceId = this.interfaceOf(x.method, x.url);
    const res = x.response;
    const status = res?.status ?? 0;
    const secrets = secretsOf(x);
    const grant =
      interfaceId === 'oauth:token' && x.body !== undefined
        ? new URLSearchParams(x.body).get('grant_type')
        : null;
    const facts: ErrorFacts = x.error
      ? { code: 'network_error', description: x.error.message }
      : res
        ? errorFacts(res)
        : { code: null, description: null };
    const fromToken =
      res && !x.error && interfaceId === 'oauth:token' && status === 200
        ? pairingOfTokenResponse(res)
        : undefined;
    const what = `${x.method} ${interfaceId}${grant && GRANT_TYPES.has(grant) ? ` grant_type=${grant}` : ''}`;
    return {
      timestamp: new Date(this.ctx.now()).toISOString(),
      transaction_id: x.transactionId,
      pairing_id: x.pairingId ?? fromToken ?? null,
      partner_id: parse(x.url)?.hostname ?? null,
      client_id: this.ctx.clientId,
      interface_id: interfaceId,
      event_type: eventOf(interfaceId, status),
      status,
      error_code: facts.code && clip(maskSecrets(facts.code, secrets)),
      error_description: facts.description && clip(maskSecrets(facts.description, secrets)),
      response_time_ms: Math.round(x.elapsedMs * 100) / 100,
      data_volume_bytes: res?.bytes ?? 0,
      message: x.error ? `${what}: ${res ? 'unreadable response' : 'no response'}` : what,
    };
  }
}
