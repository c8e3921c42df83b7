// The guard of every FHIR route but /metadata: PEP → PDP, then the per-client and per-pairing rate limits;
// leaves the access context on the request. It runs as preValidation, so a caller without access gets its
// 401 before anything about the request's input is said.
import type { FastifyRequest } from 'fastify';
import { primaryViolation } from '../policy/pdp.ts';
import { enforce } from '../policy/pep.ts';
import { invalidToken, throttled } from './outcome.ts';

export async function fhirGuard(req: FastifyRequest): Promise<void> {
  const fhir = req.server.fhirService;
  const { services } = fhir;
  const { verdict, access } = await enforce(services, fhir.policy, req, services.logger);
  if (access) req.fhir.access = access;
  if (!verdict.allow) {
    const v = primaryViolation(verdict);
    throw invalidToken(v?.error_description ?? 'Access denied', v?.error ?? 'invalid_token');
  }
  const a = access!;
  const nowMs = services.clock.now().getTime();
  for (const [limiter, key, what] of [
    [fhir.perClient, `c:${a.clientId}`, 'client'],
    [fhir.perPairing, `p:${a.pairingId}`, 'pairing'],
  ] as const) {
    const d = limiter.hit(key, nowMs);
    if (!d.allowed) throw throttled(d.retryAfterSeconds, `Rate limit of this ${what} exceeded`);
  }
}

/** The token's access context, its scope now, and the time it was taken at (for a guarded route). */
export function accessOf(req: FastifyRequest) {
  const fhir = req.server.fhirService;
  const access = req.fhir.access!;
  const nowMs = fhir.services.clock.now().getTime();
  return { fhir, access, nowMs, scope: fhir.scopeOf(access, nowMs) };
}
