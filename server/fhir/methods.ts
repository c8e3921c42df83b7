// Wrong methods on what the API knows answer 405 with `Allow` and an OperationOutcome (R4 http.html), not
// 404: the server is read-only, so PUT/DELETE/PATCH/POST/OPTIONS on a type or an instance, GET on an
// operation or _search.
import type { FastifyInstance, preValidationAsyncHookHandler } from 'fastify';
import { FhirError } from './outcome.ts';
import { NO_INPUT } from '../shared/route-schema.ts';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS';
// OPTIONS too: R4 has no OPTIONS interaction, and a 404 would say the resource is unknown
const METHODS: readonly Method[] = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

export function methodNotAllowed(method: string, what: string, allow: readonly string[]): FhirError {
  return new FhirError(
    405,
    {
      severity: 'error',
      code: 'not-supported',
      diagnostics: `Method ${method} is not allowed on ${what}; allowed: ${allow.join(', ')}`,
    },
    { headers: { allow: allow.join(', ') }, errorCode: 'method_not_allowed' },
  );
}

/**
 * Answers 405 for every method of `url` besides `allowed` (fastify serves HEAD wherever GET is allowed).
 * `what` names the target in the OperationOutcome, e.g. `Observation/{id}`; `guard` is the guard of
 * protected paths, so an unauthenticated caller still gets 401 first.
 */
export function refuseOtherMethods(
  app: FastifyInstance,
  url: string,
  what: string,
  allowed: readonly Method[],
  guard?: preValidationAsyncHookHandler,
): void {
  const allow = allowed.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m]));
  app.route({
    method: METHODS.filter((m) => !allowed.includes(m)),
    url,
    schema: NO_INPUT,
    ...(guard ? { preValidation: guard } : {}),
    handler: async (req) => {
      req.fhir.interfaceId = 'fhir:method-not-allowed';
      throw methodNotAllowed(req.method, what, allow);
    },
  });
}
