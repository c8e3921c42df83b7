// A system client's operator API token, verified by the server's one access-token verifier for the operator
// API's audience (no store access). Both the operator API's PEP and /revoke for system clients ask this.
import type { JWTPayload } from 'jose';
import type { ServerServices } from '../services.ts';
import { operatorAudience } from './operator-settings.ts';
import { AccessTokenError } from './token-verifier.ts';

/** A verified operator API token: ours, for the operator API, issued to a system client. */
export interface SystemToken {
  clientId: string;
  scope: string;
  jti: string;
  /** Token expiry, epoch milliseconds. */
  expiresMs: number;
}

/** The token checked at `now`: issued to a system client (sub = client_id, a scope). Throws AccessTokenError. */
export async function verifySystemToken(
  services: ServerServices,
  token: string,
  now: Date,
): Promise<SystemToken> {
  const payload: Readonly<JWTPayload> = await services.accessTokens.verify(
    token,
    operatorAudience(services.config),
    now,
  );
  const { client_id: clientId, scope, jti, exp } = payload;
  if (typeof clientId !== 'string' || typeof scope !== 'string' || payload.sub !== clientId) {
    throw new AccessTokenError('token_not_for_this_api', 'The token is not a system client token');
  }
  return { clientId, scope, jti: jti as string, expiresMs: (exp as number) * 1000 };
}
