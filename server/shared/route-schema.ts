// Every route declares its input: a route registered without a schema is refused when the server is built, so
// a new route cannot take input nobody validated (deny by default). A route that takes nothing says so with
// NO_INPUT; fastify's ajv (removeAdditional) drops unknown query members, so a stray `?x=` changes nothing.
import type { FastifyInstance, RouteOptions } from 'fastify';
import { GatewayError } from '../../lib/errors.ts';

export const NO_INPUT = {
  querystring: { type: 'object', properties: {}, additionalProperties: false },
} as const;

function describe(route: RouteOptions): string {
  const methods = Array.isArray(route.method) ? route.method.join(',') : route.method;
  return `${methods} ${route.url}`;
}

/** Adds the check to `app`; every route registered afterwards, in any child plugin, must have a schema. */
export function requireRouteSchemas(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    if (!route.schema || Object.keys(route.schema).length === 0)
      throw new GatewayError(
        'ERR_ROUTE_SCHEMA',
        `route ${describe(route)} declares no schema (use NO_INPUT)`,
      );
  });
}
