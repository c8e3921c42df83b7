// tls_client_auth (RFC 8705 §2.1) with HDDT's pinning: the client names itself with client_id, the
// directory must list it as active, and the certificate of the TLS handshake must be exactly the one
// registered for that client_id (no chain validation; self-signed DiGA certificates are allowed) and within
// its validity window. An entry none of whose registered certificates is valid counts as not registered.
import type { FastifyRequest } from 'fastify';
import { peerCertificate } from '../shared/tls.ts';
import type { ServerServices } from '../services.ts';
import { appendPrivacyEvent } from '../audit/privacy-trail.ts';
import { certificateTimeViolation, registrationViolation } from '../shared/certificates.ts';
import { CLIENT_ID_PATTERN, DirectoryUnavailableError, type DirectoryEntry } from './directory.ts';
import { OAuthError } from './errors.ts';

/** Directory lookup that turns an unreachable directory into a 503 for the client. */
export async function lookupClient(
  services: ServerServices,
  clientId: string,
): Promise<DirectoryEntry | undefined> {
  try {
    return await services.directory.lookup(clientId);
  } catch (err) {
    if (err instanceof DirectoryUnavailableError) {
      throw new OAuthError('temporarily_unavailable', 'The DiGA directory cannot be checked right now');
    }
    throw err;
  }
}

/** HDDT allows tls_client_auth only: a secret, an assertion or Basic auth alongside is refused, not ignored. */
export function refuseOtherClientCredentials(req: FastifyRequest, params: Record<string, string>): void {
  if (
    req.headers.authorization !== undefined ||
    params.client_secret !== undefined ||
    params.client_assertion !== undefined
  ) {
    throw new OAuthError(
      'invalid_request',
      'Only tls_client_auth is supported; send no other client credentials',
    );
  }
}

export async function authenticateClient(
  services: ServerServices,
  req: FastifyRequest,
  params: Record<string, string>,
  endpoint: 'par' | 'token' | 'revoke',
): Promise<DirectoryEntry> {
  refuseOtherClientCredentials(req, params);
  const clientId = params.client_id;
  if (!clientId) throw new OAuthError('invalid_client', 'client_id is required for tls_client_auth');
  if (!CLIENT_ID_PATTERN.test(clientId)) throw new OAuthError('invalid_client', 'Unknown client');
  const entry = await lookupClient(services, clientId);
  const nowMs = services.clock.now().getTime();
  const fail = (reason: string, description: string): never => {
    appendPrivacyEvent(services.store, {
      event: endpoint === 'par' ? 'pairing_failed' : 'unauthorized_access',
      outcome: 'failure',
      atMs: nowMs,
      clientId,
      reason: `${endpoint}:${reason}`,
    });
    throw new OAuthError('invalid_client', description);
  };
  if (!entry) return fail('client_unknown', 'Unknown client');
  if (entry.status !== 'active')
    return fail('client_inactive', 'The client is not active in the DiGA directory');
  const cert = peerCertificate(req.raw.socket);
  if (!cert) return fail('no_certificate', 'No client certificate was presented');
  if (!entry.matchesCertificate(cert.der)) {
    return fail(
      'certificate_mismatch',
      'The client certificate is not the one registered for this client_id',
    );
  }
  // Equal to the registered one is not enough: it must also be valid now (the same rule as the PDP's).
  const bad = certificateTimeViolation(cert, nowMs) ?? registrationViolation(entry.certificates, nowMs);
  if (bad) return fail(bad.error, bad.error_description);
  return entry;
}
