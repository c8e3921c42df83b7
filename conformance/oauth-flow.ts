// The DiGA's OAuth steps as the kit sends them, by hand (so negative variants are one changed field away):
// PAR with PKCE S256 over mTLS, the patient's authorization in Chromium, the code exchange, refresh, revoke.
import { createHash, randomBytes } from 'node:crypto';
import { GroupStopped, type KitContext, type Pairing, type TokenSet } from './context.ts';
import { scopeFor, type MivId } from './hddt-terms.ts';
import type { Identity, ProbeResponse } from './http.ts';
import type { PatientKey } from './login-script.ts';

export interface PkcePair {
  verifier: string;
  challenge: string;
}

export function pkce(): PkcePair {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier, 'ascii').digest('base64url') };
}

export interface ParResult {
  res: ProbeResponse;
  requestUri?: string;
  verifier: string;
  state: string;
}

/** A PAR request; `change` alters or removes (undefined) fields for the negative checks. */
export async function par(
  ctx: KitContext,
  scope: string,
  opts: { as?: Identity; change?: Record<string, string | undefined> } = {},
): Promise<ParResult> {
  const { verifier, challenge } = pkce();
  const state = randomBytes(16).toString('base64url');
  ctx.secret(verifier);
  const form: Record<string, string | undefined> = {
    client_id: ctx.opts.clientId,
    response_type: 'code',
    redirect_uri: ctx.opts.redirectUri,
    scope,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
    ...opts.change,
  };
  const res = await ctx.probe.send({
    url: ctx.endpoint('pushed_authorization_request_endpoint'),
    form,
    as: opts.as,
  });
  const requestUri = res.json<{ request_uri?: unknown }>()?.request_uri;
  if (typeof requestUri === 'string') ctx.secret(requestUri);
  return { res, ...(typeof requestUri === 'string' ? { requestUri } : {}), verifier, state };
}

export function authorizeUrl(ctx: KitContext, requestUri: string): string {
  const u = new URL(ctx.endpoint('authorization_endpoint'));
  u.searchParams.set('client_id', ctx.opts.clientId);
  u.searchParams.set('request_uri', requestUri);
  return u.href;
}

export function exchangeCode(ctx: KitContext, code: string, verifier: string, as: Identity = 'client') {
  return ctx.probe.send({
    url: ctx.endpoint('token_endpoint'),
    as,
    form: {
      grant_type: 'authorization_code',
      client_id: ctx.opts.clientId,
      code,
      code_verifier: verifier,
      redirect_uri: ctx.opts.redirectUri,
    },
  });
}

export function refreshGrant(ctx: KitContext, refreshToken: string, as: Identity = 'client') {
  return ctx.probe.send({
    url: ctx.endpoint('token_endpoint'),
    as,
    form: { grant_type: 'refresh_token', client_id: ctx.opts.clientId, refresh_token: refreshToken },
  });
}

export function revokeToken(ctx: KitContext, token: string, as: Identity = 'client') {
  return ctx.probe.send({
    url: ctx.endpoint('revocation_endpoint'),
    as,
    form: { client_id: ctx.opts.clientId, token, token_type_hint: 'refresh_token' },
  });
}

/** The token response's members, or undefined when it is not a token response. */
export function tokenSet(ctx: KitContext, res: ProbeResponse): TokenSet | undefined {
  const t = res.json<TokenSet>();
  if (res.status !== 200 || !t || typeof t.access_token !== 'string') return undefined;
  ctx.secret(t.access_token, t.refresh_token);
  return t;
}

export interface Authorized {
  par: ParResult;
  callback: URL;
  code: string;
}

/** PAR and the patient's login and consent in Chromium, up to the code (not yet exchanged). */
export async function authorizeCode(
  ctx: KitContext,
  patient: PatientKey,
  mivs: MivId[],
): Promise<Authorized> {
  if (patient === 'b' && !ctx.opts.manual && !ctx.opts.login?.patients.b) {
    throw new GroupStopped('the login script names no test patient b');
  }
  const p = await par(ctx, scopeFor(mivs));
  if (!p.requestUri)
    throw new GroupStopped(`PAR failed (HTTP ${p.res.status}${p.res.error ? `: ${p.res.error}` : ''})`);
  let callback: URL;
  try {
    callback = await ctx.browsers.authorize(
      patient,
      authorizeUrl(ctx, p.requestUri),
      ctx.opts.redirectUri,
      ctx.opts.login,
    );
  } catch (err) {
    throw new GroupStopped(`the patient login in Chromium failed: ${(err as Error).message}`);
  }
  const code = callback.searchParams.get('code');
  if (!code)
    throw new GroupStopped(
      `the redirect carries no code (${callback.searchParams.get('error') ?? 'no error either'})`,
    );
  ctx.secret(code);
  return { par: p, callback, code };
}

/** A whole pairing: authorization and code exchange; kept in the context under `label`. */
export async function pair(
  ctx: KitContext,
  label: string,
  patient: PatientKey,
  mivs: MivId[],
): Promise<Pairing> {
  const a = await authorizeCode(ctx, patient, mivs);
  const res = await exchangeCode(ctx, a.code, a.par.verifier);
  const tokens = tokenSet(ctx, res);
  if (!tokens) throw new GroupStopped(`the code exchange failed (HTTP ${res.status})`);
  const p: Pairing = {
    label,
    patient,
    mivs,
    tokens,
    tokenExchange: res.exchange,
    code: a.code,
    requestUri: a.par.requestUri!,
    verifier: a.par.verifier,
    state: a.par.state,
    callback: a.callback,
  };
  ctx.pairings.set(label, p);
  return p;
}

/** The OAuth error of a response body. */
export function oauthError(res: ProbeResponse): string | undefined {
  const e = res.json<{ error?: unknown }>()?.error;
  return typeof e === 'string' ? e : undefined;
}

/** "HTTP 400 invalid_grant" for messages. */
export function described(res: ProbeResponse): string {
  if (res.status === 0) return `no HTTP answer (${res.error ?? 'connection failed'})`;
  const e = oauthError(res);
  return `HTTP ${res.status}${e ? ` ${e}` : ''}`;
}
