// Policy enforcement point: gathers the facts of one request (TLS client certificate and its validity, token
// claims, DiGA directory status, grant/pairing status, the device token checked for signature, validity and
// certificate binding, method/path/client IP), asks the PDP, logs the verdict (never a token, never patient
// data) and hands the handler the access context when allowed.
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { peerCertificate } from '../shared/tls.ts';
import {
  AccessTokenError,
  accessContext,
  grantStateOf,
  verifyFhirToken,
  type AccessContext,
  type FhirTokenClaims,
} from '../oauth/access.ts';
import { DirectoryUnavailableError } from '../oauth/directory.ts';
import type { GrantState } from '../oauth/grant-state.ts';
import type { ServerServices } from '../services.ts';
import type { DeviceTokenFact } from './device-token.ts';
import { decide, type PolicyFacts, type Verdict } from './pdp.ts';
import type { PolicyConfig } from './policy-config.ts';

export interface Enforcement {
  verdict: Verdict;
  /** Present when the token verified and names a stored grant (even if a check denied). */
  access?: AccessContext;
}

export function bearerToken(req: FastifyRequest): string {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return '';
  const m = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(h);
  return m ? m[1] : '';
}

/** The device token of the request (configured header) as a PDP fact; undefined when none was sent. */
export async function deviceFact(
  services: ServerServices,
  req: FastifyRequest,
  header: string,
  thumbprint: string | undefined,
  now: Date,
): Promise<DeviceTokenFact | undefined> {
  const raw = req.headers[header.toLowerCase()];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') {
    return { deviceTokenValid: false, error: 'device_token_malformed', error_description: 'Sent twice' };
  }
  return services.deviceTokens.verify(raw.trim(), thumbprint, now);
}

/** The token's claims (or why it did not verify) and the stored state of the grant it names. */
async function tokenFacts(
  services: ServerServices,
  req: FastifyRequest,
  now: Date,
): Promise<{ claims?: FhirTokenClaims; token: PolicyFacts['token']; grant?: GrantState | null }> {
  try {
    const claims = await verifyFhirToken(services, bearerToken(req), now);
    return { claims, token: { ok: true, ...claims }, grant: grantStateOf(services, claims.grantId) };
  } catch (err) {
    if (!(err instanceof AccessTokenError)) throw err;
    return { token: { ok: false, code: err.reason, description: err.description } };
  }
}

/** The DiGA directory's facts about the token's client and the presented certificate. */
async function directoryFact(
  services: ServerServices,
  clientId: string,
  der: Buffer | undefined,
): Promise<PolicyFacts['directory']> {
  try {
    const entry = await services.directory.lookup(clientId);
    if (!entry) return { available: true, listed: false };
    return {
      available: true,
      listed: true,
      status: entry.status,
      certificateMatches: entry.matchesCertificate(der),
      registeredCertificates: entry.certificates,
    };
  } catch (err) {
    if (!(err instanceof DirectoryUnavailableError)) throw err;
    return { available: false };
  }
}

export async function enforce(
  services: ServerServices,
  policy: PolicyConfig,
  req: FastifyRequest,
  log: Logger,
): Promise<Enforcement> {
  const now = services.clock.now();
  const cert = peerCertificate(req.raw.socket);
  const { claims, token, grant } = await tokenFacts(services, req, now);
  const facts: PolicyFacts = {
    nowMs: now.getTime(),
    request: { method: req.method, path: req.url.split('?')[0], clientIp: req.ip },
    tls: {
      clientCertificate: cert ? { notBeforeMs: cert.notBeforeMs, notAfterMs: cert.notAfterMs } : null,
    },
    token,
    grant,
    directory: claims ? await directoryFact(services, claims.clientId, cert?.der) : undefined,
    device: await deviceFact(services, req, policy.device.header, cert?.thumbprint, now),
  };
  const verdict = decide(facts, policy);
  // The verdict and the non-personal facts only: no token, no pairing or patient id, no IP.
  log.info(
    {
      event: 'policy_verdict',
      client_id: claims?.clientId,
      method: facts.request.method,
      path: facts.request.path,
      verdict,
    },
    verdict.allow ? 'access allowed' : 'access denied',
  );
  return { verdict, access: claims && grant ? accessContext(claims, grant) : undefined };
}
