// The operator API's own policy: a pure decision from the facts its PEP (auth.ts) gathered. A token of this
// server for the operator API, issued to a system client, not revoked, whose client is still configured and
// presented over mTLS with that client's pinned, valid certificate; the scopes that still count are those the
// configuration still grants. No I/O, no clock (the PEP passes nowMs).
import { pinnedCertificateProblem, type CertificateWindow } from '../shared/certificates.ts';
import type { SystemToken } from '../oauth/system-token.ts';

export interface SystemAccess {
  clientId: string;
  scopes: string[];
}

export interface SystemAccessFacts {
  nowMs: number;
  /** The token as the shared verifier found it (signature, issuer, audience, times, claims). */
  token: ({ ok: true } & SystemToken) | { ok: false; description: string };
  /** Revoked at /revoke (the store). */
  revoked: boolean;
  /** The token's client in the configuration now; null when it is no longer configured. */
  client: { scopes: string[] } | null;
  /** The TLS client certificate: its validity window and whether it is one the client pins; null: none. */
  certificate: (CertificateWindow & { matchesPinned: boolean }) | null;
}

export type SystemAccessDecision =
  { allow: true; access: SystemAccess } | { allow: false; description: string };

const deny = (description: string): SystemAccessDecision => ({ allow: false, description });

export function decideSystemAccess(f: SystemAccessFacts): SystemAccessDecision {
  if (!f.token.ok) return deny(f.token.description);
  if (f.revoked) return deny('The token was revoked');
  if (!f.client) return deny('The client is no longer registered');
  // The same certificate as at the token endpoint, pinned per request.
  const problem = pinnedCertificateProblem(
    f.certificate ?? undefined,
    f.certificate?.matchesPinned ?? false,
    f.nowMs,
  );
  if (problem) return deny(problem.error_description);
  // Scopes withdrawn from the configuration since the token was issued no longer count.
  const granted = f.client.scopes;
  const scopes = f.token.scope.split(' ').filter((s) => s.length > 0 && granted.includes(s));
  return { allow: true, access: { clientId: f.token.clientId, scopes } };
}
