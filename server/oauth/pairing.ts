// Pairing (HDDT pairing.md): after login and consent the authorization server binds the consent to a
// Pairing ID = HMAC-SHA256(secret salt >= 128 bit, DiGA client id + internal patient id). The id is stable
// per patient and DiGA, unpredictable and non-identifying, and reused when the patient consents again
// (for example to more MIVs). Revocation of a pairing ends its consent and every grant and token.
import { createHmac, randomBytes } from 'node:crypto';
import type { Store } from '../../gateway/store/store.ts';
import {
  activePairingsOfClient,
  clientsWithActivePairings,
  getPairing,
  insertGrant,
  listPairingsOfPatient,
  pairingsWithExpiredConsent,
  revokeOtherGrants,
  revokePairing,
  upsertPairing,
} from '../../gateway/store/oauth-grants.ts';
import { insertCode } from '../../gateway/store/oauth-requests.ts';
import type { MivName } from '../../config/types.ts';
import type { ServerServices } from '../services.ts';
import type { DirectoryEntry } from './directory.ts';
import { appendPrivacyEvent, patientRef } from '../audit/privacy-trail.ts';
import { hashSecret, randomSecret } from './secrets.ts';

const SALT_NAME = 'pairing-id-salt';

export function pairingIdOf(store: Store, clientId: string, patientId: string): string {
  const salt = store.secret(SALT_NAME, 32);
  if (salt.length < 16) throw new Error('pairing salt shorter than 128 bits');
  return createHmac('sha256', salt).update(clientId).update('\0').update(patientId).digest('hex');
}

export interface AuthorizationInput {
  patientId: string;
  clientId: string;
  mivs: MivName[];
  /** The scope granted (chosen MIVs' Observation scopes plus the requested Device/DeviceMetric scopes). */
  scope: string;
  redirectUri: string;
  codeChallenge: string;
}

export interface Authorization {
  code: string;
  grantId: string;
  pairingId: string;
}

/** Records consent, creates the (not yet active) grant and an authorization code for it. */
export function authorize(services: ServerServices, input: AuthorizationInput): Authorization {
  const { store, config } = services;
  const nowMs = services.clock.now().getTime();
  const pairingId = pairingIdOf(store, input.clientId, input.patientId);
  const consentDays = Math.min(config.server.oauth.consentDays, 365);
  const expiresMs = nowMs + consentDays * 86_400_000;
  const grantId = randomBytes(16).toString('hex');
  const code = randomSecret();
  store.transaction(() => {
    const before = getPairing(store, pairingId);
    upsertPairing(store, {
      pairingId,
      patientId: input.patientId,
      clientId: input.clientId,
      mivs: input.mivs,
      nowMs,
      expiresMs,
    });
    insertGrant(store, {
      id: grantId,
      pairing_id: pairingId,
      client_id: input.clientId,
      patient_id: input.patientId,
      scope: input.scope,
      created_ms: nowMs,
      expires_ms: expiresMs,
    });
    // A narrower consent takes effect at once: tokens of older grants may carry a withdrawn MIV.
    if (before && before.revoked_ms === null) {
      const old = JSON.parse(before.consent_mivs) as MivName[];
      if (old.some((m) => !input.mivs.includes(m))) {
        revokeOtherGrants(store, pairingId, grantId, 'consent_narrowed', nowMs);
      }
    }
    insertCode(store, {
      code_hash: hashSecret(code),
      grant_id: grantId,
      client_id: input.clientId,
      redirect_uri: input.redirectUri,
      code_challenge: input.codeChallenge,
      created_ms: nowMs,
      expires_ms: nowMs + config.server.oauth.authorizationCodeSeconds * 1000,
    });
    appendPrivacyEvent(store, {
      event: 'pairing',
      outcome: 'success',
      atMs: nowMs,
      patientRef: patientRef(store, input.patientId),
      pairingId,
      clientId: input.clientId,
      reason: `consent:${input.mivs.join(',')}`,
    });
  });
  return { code, grantId, pairingId };
}

/** Why a pairing ended; stored on the pairing and its grants, written to the privacy trail, shown to the patient. */
export type UnpairReason =
  | 'patient_revoked'
  | 'patient_withdrew_all'
  | 'client_revoked'
  | 'consent_expired'
  | 'diga_retired'
  | 'diga_removed'
  | 'refresh_token_reuse'
  | 'code_reuse'
  | 'patient_removed';

/** Revokes a pairing (consent, grants, tokens) and writes the unpairing to the privacy trail. */
export function unpair(
  services: Pick<ServerServices, 'store' | 'clock'>,
  pairingId: string,
  reason: UnpairReason,
): boolean {
  const { store } = services;
  const nowMs = services.clock.now().getTime();
  return store.transaction(() => {
    const p = getPairing(store, pairingId);
    if (!p) return false;
    const changed = revokePairing(store, pairingId, reason, nowMs);
    if (changed) {
      appendPrivacyEvent(store, {
        event: 'unpairing',
        outcome: 'success',
        atMs: nowMs,
        patientRef: patientRef(store, p.patient_id),
        pairingId,
        clientId: p.client_id,
        reason,
      });
    }
    return changed;
  });
}

/** Revokes every pairing of a client (removed from or retired in the directory). */
export function unpairClient(
  services: Pick<ServerServices, 'store' | 'clock'>,
  clientId: string,
  reason: UnpairReason,
): number {
  let n = 0;
  for (const p of activePairingsOfClient(services.store, clientId))
    if (unpair(services, p.pairing_id, reason)) n++;
  return n;
}

/** Directory listener: clients no longer listed or no longer active lose all pairings. */
export function revokeInactiveClients(
  services: ServerServices,
  entries: ReadonlyMap<string, DirectoryEntry>,
): number {
  let n = 0;
  for (const clientId of clientsWithActivePairings(services.store)) {
    const e = entries.get(clientId);
    if (!e) n += unpairClient(services, clientId, 'diga_removed');
    else if (e.status !== 'active') n += unpairClient(services, clientId, 'diga_retired');
  }
  if (n > 0) services.logger.warn({ pairings: n }, 'pairings revoked after DiGA directory change');
  return n;
}

/** Ends every pairing of the patient (withdrawal of all consent, or removal of the account). */
export function unpairPatient(
  services: Pick<ServerServices, 'store' | 'clock'>,
  patientId: string,
  reason: 'patient_withdrew_all' | 'patient_removed',
): number {
  let n = 0;
  for (const p of listPairingsOfPatient(services.store, patientId))
    if (unpair(services, p.pairing_id, reason)) n++;
  return n;
}

/**
 * The consent-expiry sweep: ends every pairing whose consent ran out (HDDT: at most one year), with its
 * grants and tokens, and writes each to the privacy trail. Runs on a timer, so an expired consent ends
 * even when the DiGA never calls again.
 */
export function expireConsents(services: Pick<ServerServices, 'store' | 'clock'>): number {
  let n = 0;
  for (const p of pairingsWithExpiredConsent(services.store, services.clock.now().getTime()))
    if (unpair(services, p.pairing_id, 'consent_expired')) n++;
  return n;
}

/**
 * Called where a request meets a grant: when its consent has run out but the sweep has not come by yet,
 * the pairing ends now (so the trail records it at the first request after expiry). True when expired.
 */
export function endIfConsentExpired(
  services: Pick<ServerServices, 'store' | 'clock'>,
  grant: { pairing_id: string; pairing_revoked_ms: number | null; consent_expires_ms: number },
  nowMs: number,
): boolean {
  if (grant.consent_expires_ms > nowMs) return false;
  if (grant.pairing_revoked_ms === null) unpair(services, grant.pairing_id, 'consent_expired');
  return true;
}
