// What every operator API route plugin is given: the server's services and the access guard for a scope.
import type { FastifyRequest } from 'fastify';
import type { ServerServices } from '../services.ts';
import type { OperatorScope } from '../oauth/operator-scopes.ts';

export interface OperatorApiContext {
  services: ServerServices;
  /** mTLS + system client token + the route's scope (a preHandler). */
  guard: (scope: OperatorScope) => (req: FastifyRequest) => Promise<void>;
}
