// The DiGA side of HDDT pairing with oauth4webapi (a strict, independent OAuth client): metadata
// discovery, PAR with PKCE S256 over mTLS (tls_client_auth), the authorize URL for the patient's browser,
// the code exchange, refresh with rotation shortly before the access token expires, and revocation.
import * as oauth from 'oauth4webapi';
import { DigaClientError } from './errors.ts';
import type { MtlsHttp } from './http.ts';
import { scopeFor, type Miv } from './hddt.ts';
import type { TokenFile, StoredTokens } from './tokens.ts';

export interface OAuthContext {
  http: MtlsHttp;
  issuer: string;
  clientId: string;
  redirectUri: string;
  now: () => number;
}

export interface PendingAuthorization {
  /** Open this in the patient's browser. */
  authorizeUrl: string;
  verifier: string;
  state: string;
  /** Seconds the request_uri stays valid (HDDT: 90). */
  expiresIn: number;
}

const REQUIRED_METADATA = [
  'pushed_authorization_request_endpoint',
  'token_endpoint',
  'revocation_endpoint',
  'authorization_endpoint',
] as const;

/** oauth4webapi's options: our mTLS fetch (its access log lines name `pairingId` when known), no clock skew. */
function opts(ctx: OAuthContext, pairingId?: string) {
  return { [oauth.customFetch]: ctx.http.fetchFor({ pairingId }), [oauth.clockSkew]: 0 };
}

/** Turns oauth4webapi failures into client errors; invalid_grant means the pairing is gone. */
export function oauthFailure(err: unknown, what: string): DigaClientError {
  if (err instanceof DigaClientError) return err;
  if (err instanceof oauth.ResponseBodyError) {
    const detail = `${err.error}${err.error_description ? `: ${err.error_description}` : ''}`;
    if (err.error === 'invalid_grant') {
      return new DigaClientError(
        'grant_revoked',
        `${what}: the grant is no longer valid (${detail}); the patient revoked the pairing or it expired — pair again`,
      );
    }
    return new DigaClientError('protocol', `${what}: HTTP ${err.status} ${detail}`);
  }
  if (err instanceof oauth.AuthorizationResponseError) {
    return new DigaClientError(
      'authorization_failed',
      `${what}: ${err.error}${err.error_description ? `: ${err.error_description}` : ''}`,
    );
  }
  const msg = err instanceof Error ? err.message : String(err);
  return new DigaClientError('protocol', `${what}: ${msg}`, { cause: err });
}

export async function discover(ctx: OAuthContext): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(ctx.issuer);
  try {
    const res = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...opts(ctx) });
    const as = await oauth.processDiscoveryResponse(issuer, res);
    for (const k of REQUIRED_METADATA) {
      if (typeof as[k] !== 'string') throw new DigaClientError('protocol', `metadata lacks ${k}`);
    }
    if (as.require_pushed_authorization_requests !== true) {
      throw new DigaClientError('protocol', 'metadata: require_pushed_authorization_requests is not true');
    }
    if (!as.code_challenge_methods_supported?.includes('S256')) {
      throw new DigaClientError('protocol', 'metadata: S256 is not among code_challenge_methods_supported');
    }
    if (!as.token_endpoint_auth_methods_supported?.includes('tls_client_auth')) {
      throw new DigaClientError(
        'protocol',
        'metadata: tls_client_auth is not supported at the token endpoint',
      );
    }
    return as;
  } catch (err) {
    throw oauthFailure(err, 'reading the authorization server metadata');
  }
}

const client = (ctx: OAuthContext): oauth.Client => ({ client_id: ctx.clientId });

/** PAR (mTLS) with a fresh PKCE verifier and state; returns the URL for the patient's browser. */
export async function pushAuthorization(
  ctx: OAuthContext,
  as: oauth.AuthorizationServer,
  mivs: readonly Miv[],
): Promise<PendingAuthorization> {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  try {
    const res = await oauth.pushedAuthorizationRequest(
      as,
      client(ctx),
      oauth.TlsClientAuth(),
      {
        response_type: 'code',
        redirect_uri: ctx.redirectUri,
        scope: scopeFor(mivs),
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
      },
      opts(ctx),
    );
    const par = await oauth.processPushedAuthorizationResponse(as, client(ctx), res);
    const url = new URL(as.authorization_endpoint!);
    url.searchParams.set('client_id', ctx.clientId);
    url.searchParams.set('request_uri', par.request_uri);
    return { authorizeUrl: url.href, verifier, state, expiresIn: par.expires_in };
  } catch (err) {
    throw oauthFailure(err, 'pushed authorization request');
  }
}

function toStored(ctx: OAuthContext, t: oauth.TokenEndpointResponse, previous?: StoredTokens): StoredTokens {
  if (!t.refresh_token && !previous)
    throw new DigaClientError('protocol', 'the token response has no refresh_token');
  const expiresIn = typeof t.expires_in === 'number' ? t.expires_in : 300;
  const obtained = ctx.now();
  return {
    accessToken: t.access_token,
    refreshToken: t.refresh_token ?? previous!.refreshToken,
    scope: typeof t.scope === 'string' ? t.scope : (previous?.scope ?? ''),
    pairingId: typeof t.sub === 'string' ? t.sub : (previous?.pairingId ?? ''),
    obtainedAtMs: obtained,
    expiresAtMs: obtained + expiresIn * 1000,
  };
}

/** Checks the callback (state, error) and exchanges the code (mTLS, PKCE verifier). */
export async function exchangeCode(
  ctx: OAuthContext,
  as: oauth.AuthorizationServer,
  pending: PendingAuthorization,
  callback: URL,
): Promise<StoredTokens> {
  let params: URLSearchParams;
  try {
    params = oauth.validateAuthResponse(as, client(ctx), callback, pending.state);
  } catch (err) {
    throw oauthFailure(err, 'authorization');
  }
  try {
    const res = await oauth.authorizationCodeGrantRequest(
      as,
      client(ctx),
      oauth.TlsClientAuth(),
      params,
      ctx.redirectUri,
      pending.verifier,
      opts(ctx),
    );
    return toStored(ctx, await oauth.processAuthorizationCodeResponse(as, client(ctx), res));
  } catch (err) {
    throw oauthFailure(err, 'token request (authorization code)');
  }
}

/**
 * Holds the tokens of one pairing: hands out an access token, refreshing it (with rotation, saved at once)
 * when less than `refreshMarginSeconds` or a fifth of its lifetime is left.
 */
export class TokenSession {
  private refreshing: Promise<StoredTokens> | undefined;

  private readonly ctx: OAuthContext;
  private readonly as: oauth.AuthorizationServer;
  private readonly file: TokenFile;
  private readonly refreshMarginSeconds: number;

  constructor(ctx: OAuthContext, as: oauth.AuthorizationServer, file: TokenFile, refreshMarginSeconds = 60) {
    this.ctx = ctx;
    this.as = as;
    this.file = file;
    this.refreshMarginSeconds = refreshMarginSeconds;
  }

  current(): StoredTokens {
    const t = this.file.read();
    if (!t)
      throw new DigaClientError('not_paired', 'no tokens stored: pair first (hddt-gateway diga-client pair)');
    return t;
  }

  needsRefresh(t: StoredTokens): boolean {
    const lifetime = t.expiresAtMs - t.obtainedAtMs;
    const margin = Math.min(this.refreshMarginSeconds * 1000, lifetime / 5);
    return this.ctx.now() >= t.expiresAtMs - margin;
  }

  async accessToken(): Promise<string> {
    const t = this.current();
    return this.needsRefresh(t) ? (await this.refresh()).accessToken : t.accessToken;
  }

  /** Refreshes now (one at a time); the rotated refresh token is saved before it is used again. */
  refresh(): Promise<StoredTokens> {
    this.refreshing ??= this.doRefresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async doRefresh(): Promise<StoredTokens> {
    const before = this.current();
    try {
      const res = await oauth.refreshTokenGrantRequest(
        this.as,
        client(this.ctx),
        oauth.TlsClientAuth(),
        before.refreshToken,
        opts(this.ctx, before.pairingId || undefined),
      );
      const next = toStored(
        this.ctx,
        await oauth.processRefreshTokenResponse(this.as, client(this.ctx), res),
        before,
      );
      this.file.write(next);
      return next;
    } catch (err) {
      throw oauthFailure(err, 'token refresh');
    }
  }

  /** Revokes the refresh token (and with it the grant) and forgets the tokens. */
  async revoke(): Promise<void> {
    const t = this.current();
    try {
      const res = await oauth.revocationRequest(
        this.as,
        client(this.ctx),
        oauth.TlsClientAuth(),
        t.refreshToken,
        {
          ...opts(this.ctx, t.pairingId || undefined),
          additionalParameters: { token_type_hint: 'refresh_token' },
        },
      );
      await oauth.processRevocationResponse(res);
    } catch (err) {
      throw oauthFailure(err, 'revocation');
    }
    this.file.remove();
  }
}
