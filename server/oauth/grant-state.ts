// Whether the grant behind an access token still authorizes it: one pure rule over the stored state of the
// grant and its pairing, used by the PDP (FHIR requests) and verifyAccessToken (callers without a PDP).
import type { GrantStatusRow } from '../../gateway/store/oauth-grants.ts';

/** The stored state of the grant a token names (and of its pairing). */
export type GrantState = Pick<
  GrantStatusRow,
  | 'pairing_id'
  | 'client_id'
  | 'patient_id'
  | 'revoked_ms'
  | 'activated_ms'
  | 'pairing_revoked_ms'
  | 'expires_ms'
  | 'consent_expires_ms'
>;

/** Active, activated, pairing not ended, consent running, and the token's own pairing and client. */
export function grantActive(
  grant: GrantState,
  claims: { pairingId: string; clientId: string },
  nowMs: number,
): boolean {
  return (
    grant.revoked_ms === null &&
    grant.activated_ms !== null &&
    grant.pairing_revoked_ms === null &&
    grant.expires_ms > nowMs &&
    grant.consent_expires_ms > nowMs &&
    grant.pairing_id === claims.pairingId &&
    grant.client_id === claims.clientId
  );
}
