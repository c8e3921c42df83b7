// THE contract for the resource server: which access tokens the FHIR API takes and who may see what.
// A token is the server's (AccessTokenVerifier: signature, issuer, exp/nbf, audience = the FHIR base URL,
// RFC 9068) and names a grant; the grant must still be active (not revoked, consent not ended), so revocation
// takes effect immediately. Nothing here writes: a consent that ran out is refused here and ended by the
// consent-expiry job (consent-expiry.ts). The PEP takes these facts to the PDP; verifyAccessToken applies
// the same rule for callers without a PDP (/revoke, tests).
import type { JWTPayload } from 'jose';
import { getGrantStatus } from '../../gateway/store/oauth-grants.ts';
import { fhirBaseUrl } from '../shared/fhir-settings.ts';
import type { ServerServices } from '../services.ts';
import { grantActive, type GrantState } from './grant-state.ts';
import { mivsOfScopes } from './scopes.ts';
import { AccessTokenError } from './token-verifier.ts';

export { AccessTokenError, type AccessTokenErrorCode } from './token-verifier.ts';

export interface AccessContext {
  /** Pairing ID (the token's `sub`); the only patient reference that may leave the gateway. */
  pairingId: string;
  /** Internal patient id: for filtering data; never put it into a response or a log. */
  patientId: string;
  clientId: string;
  grantId: string;
  scopes: string[];
  mivs: Array<'bloodGlucose' | 'cgm'>;
  /** Token expiry, epoch milliseconds. */
  expiresAt: number;
}

/** What a verified FHIR access token says. */
export interface FhirTokenClaims {
  clientId: string;
  /** `sub`: the Pairing ID. */
  pairingId: string;
  grantId: string;
  scopes: string[];
  expiresAtMs: number;
}

/** The claims of a FHIR access token verified at `now` (no store access); else an AccessTokenError. */
export async function verifyFhirToken(
  services: ServerServices,
  token: string,
  now: Date,
): Promise<FhirTokenClaims> {
  const payload: Readonly<JWTPayload> = await services.accessTokens.verify(
    token,
    fhirBaseUrl(services.config),
    now,
  );
  const { scope, grant_id: grantId, client_id: clientId } = payload;
  // System clients' tokens have another audience (refused above) and name no grant.
  if (typeof scope !== 'string' || typeof grantId !== 'string' || typeof clientId !== 'string') {
    throw new AccessTokenError('token_malformed', 'Token lacks scope, client_id or grant_id');
  }
  return {
    clientId,
    pairingId: payload.sub as string,
    grantId,
    scopes: scope.split(' ').filter((s) => s.length > 0),
    expiresAtMs: (payload.exp as number) * 1000,
  };
}

/** The grant a token names, with its pairing's state; null when there is none. */
export function grantStateOf(services: Pick<ServerServices, 'store'>, grantId: string): GrantState | null {
  return getGrantStatus(services.store, grantId) ?? null;
}

export function accessContext(claims: FhirTokenClaims, grant: GrantState): AccessContext {
  return {
    pairingId: grant.pairing_id,
    patientId: grant.patient_id,
    clientId: claims.clientId,
    grantId: claims.grantId,
    scopes: claims.scopes,
    mivs: mivsOfScopes(claims.scopes),
    expiresAt: claims.expiresAtMs,
  };
}

/** Token and grant together, for callers without a PDP. Throws AccessTokenError; writes nothing. */
export async function verifyAccessToken(
  services: ServerServices,
  token: string,
  now: Date = services.clock.now(),
): Promise<AccessContext> {
  const claims = await verifyFhirToken(services, token, now);
  const grant = grantStateOf(services, claims.grantId);
  if (!grant || !grantActive(grant, claims, now.getTime())) {
    throw new AccessTokenError('grant_inactive', 'The authorization behind the token is no longer active');
  }
  return accessContext(claims, grant);
}
