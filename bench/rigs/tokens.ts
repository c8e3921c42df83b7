// A rig for tests and benchmarks (FHIR resource server, policy, end-to-end): makes a patient (or
// uses a given one), records consent and a pairing, activates a grant and returns real tokens, exactly as
// /token would issue them after PAR, login and consent. Not used by the server itself.
//
//   const t = await issueTestTokens(services, { clientId: 'urn:diga:bfarm:10001', mivs: ['cgm'] });
//   // t.accessToken (ES256 JWT, verifies with verifyAccessToken), t.refreshToken, t.pairingId,
//   // t.patientId (assign devices to it with assignDevice), t.grantId, t.scope
//   unpair(services, t.pairingId, 'patient_revoked');   // → the tokens stop working at once
import { randomBytes } from 'node:crypto';
import { activateGrant, getGrant } from '../../gateway/store/oauth-grants.ts';
import { addPatient, getPatient } from '../../gateway/store/patients.ts';
import type { MivName } from '../../config/types.ts';
import type { ServerServices } from '../../server/services.ts';
import { authorize } from '../../server/oauth/pairing.ts';
import { DEVICE_METRIC_SCOPE, DEVICE_SCOPE, formatScope, MIV_SCOPE } from '../../server/oauth/scopes.ts';
import { issueAccessToken, newRefreshToken } from '../../server/oauth/tokens.ts';

export interface TestTokenOptions {
  clientId: string;
  /** An existing patient; a new one (random username) is made when omitted. */
  patientId?: string;
  /** Consented MIVs (default: blood glucose). */
  mivs?: MivName[];
  /** Add patient/Device.rs and patient/DeviceMetric.rs (default true). */
  deviceScopes?: boolean;
  redirectUri?: string;
}

export interface TestTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  pairingId: string;
  patientId: string;
  grantId: string;
  scope: string;
}

export async function issueTestTokens(services: ServerServices, opts: TestTokenOptions): Promise<TestTokens> {
  const nowMs = services.clock.now().getTime();
  let patientId = opts.patientId;
  if (patientId === undefined) {
    patientId = addPatient(services.store, `test-${randomBytes(6).toString('hex')}`, nowMs).id;
  } else if (!getPatient(services.store, patientId)) {
    throw new Error('issueTestTokens: no such patient');
  }
  const mivs = opts.mivs ?? ['bloodGlucose'];
  const scope = formatScope([
    ...mivs.map((m) => MIV_SCOPE[m]),
    ...(opts.deviceScopes === false ? [] : [DEVICE_SCOPE, DEVICE_METRIC_SCOPE]),
  ]);
  const auth = authorize(services, {
    patientId,
    clientId: opts.clientId,
    mivs,
    scope,
    redirectUri: opts.redirectUri ?? 'https://diga.example/callback',
    codeChallenge: 'A'.repeat(43),
  });
  activateGrant(services.store, auth.grantId, auth.pairingId, nowMs);
  const grant = getGrant(services.store, auth.grantId)!;
  const access = await issueAccessToken(services, grant, scope, nowMs);
  const refreshToken = newRefreshToken(services, grant, nowMs);
  return {
    accessToken: access.token,
    refreshToken,
    expiresIn: access.expiresIn,
    pairingId: auth.pairingId,
    patientId,
    grantId: auth.grantId,
    scope,
  };
}
