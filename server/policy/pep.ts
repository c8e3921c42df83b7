// Policy enforcement point: gathers the facts of one request (TLS client certificate, token claims, DiGA
// directory status, grant/pairing status, device attestation, method/path/client IP), asks the PDP, logs the
// verdict (never the token, never patient data) and hands the handler the access context when allowed.
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { peerCertificateDer } from '../https.ts';
import { AccessTokenError, verifyAccessToken, type AccessContext } from '../oauth/access.ts';
import { DirectoryUnavailableError } from '../oauth/directory.ts';
import type { ServerServices } from '../services.ts';
import { decide, type DeviceClaims, type PolicyFacts, type Verdict } from './pdp.ts';
import type { PolicyConfig } from './policy-config.ts';

export interface Enforcement {
  verdict: Verdict;
  /** Present when the token verified (even if another check denied). */
  access?: AccessContext;
}

/** The DER client certificate of the TLS connection, or undefined when none was presented. */
export function peerCertificate(req: FastifyRequest): Buffer | undefined {
  return peerCertificateDer(req.raw.socket as Partial<TLSSocket>);
}

export function bearerToken(req: FastifyRequest): string {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return '';
  const m = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(h);
  return m ? m[1] : '';
}

/** Device attestation claims from the configured header: base64url-encoded JSON (verified upstream). */
export function deviceFacts(req: FastifyRequest, header: string): PolicyFacts['device'] {
  const raw = req.headers[header.toLowerCase()];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw.length > 8192)
    return { error: 'Device attestation header is malformed' };
  try {
    const claims = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (
      typeof claims !== 'object' ||
      claims === null ||
      typeof (claims as DeviceClaims).platform !== 'string'
    ) {
      return { error: 'Device attestation lacks a platform' };
    }
    return { claims: claims as DeviceClaims };
  } catch {
    return { error: 'Device attestation is not base64url-encoded JSON' };
  }
}

export async function enforce(
  services: ServerServices,
  policy: PolicyConfig,
  req: FastifyRequest,
  log: Logger,
): Promise<Enforcement> {
  const now = services.clock.now();
  const cert = peerCertificate(req);
  let access: AccessContext | undefined;
  let token: PolicyFacts['token'];
  try {
    access = await verifyAccessToken(services, bearerToken(req), now);
    token = { ok: true, clientId: access.clientId, scopes: access.scopes, expiresAtMs: access.expiresAt };
  } catch (err) {
    if (!(err instanceof AccessTokenError)) throw err;
    token = { ok: false, code: err.code, description: err.description };
  }
  let directory: PolicyFacts['directory'];
  if (access) {
    try {
      const entry = await services.directory.lookup(access.clientId);
      directory = entry
        ? {
            available: true,
            listed: true,
            status: entry.status,
            certificateMatches: entry.matchesCertificate(cert),
          }
        : { available: true, listed: false };
    } catch (err) {
      if (!(err instanceof DirectoryUnavailableError)) throw err;
      directory = { available: false };
    }
  }
  const facts: PolicyFacts = {
    nowMs: now.getTime(),
    request: { method: req.method, path: req.url.split('?')[0], clientIp: req.ip },
    tls: { clientCertificatePresented: cert !== undefined },
    token,
    directory,
    device: deviceFacts(req, policy.device.header),
  };
  const verdict = decide(facts, policy);
  // The verdict and the non-personal facts only: no token, no pairing or patient id, no IP.
  log.info(
    {
      event: 'policy_verdict',
      client_id: access?.clientId,
      method: facts.request.method,
      path: facts.request.path,
      verdict,
    },
    verdict.allow ? 'access allowed' : 'access denied',
  );
  return { verdict, access };
}
