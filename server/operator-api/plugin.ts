// The operator API for a manufacturer's backend (system clients, client_credentials over mTLS), mounted on the
// HTTPS server under its own prefix (default /operator-api): devices, device assignments (read, assign,
// unassign), pairings per DiGA as counts, and the MQTT outbox backlog. No patient-identifying data: patients
// appear only as the pseudonymous sync handle that assignments carry upward anyway. See docs/operator-api.md.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerServices } from '../services.ts';
import { assignmentRoutes } from './assignments.ts';
import { OperatorApiError, requireScope, verifySystemAccess, type SystemAccess } from './auth.ts';
import type { OperatorApiContext } from './context.ts';
import { deviceRoutes } from './devices.ts';
import { outboxRoutes } from './outbox.ts';
import { pairingRoutes } from './pairings.ts';
import type { OperatorScope } from '../oauth/operator-scopes.ts';
import { operatorApiSettings } from '../oauth/operator-settings.ts';

export interface OperatorApiRoutesOptions {
  services: ServerServices;
}

declare module 'fastify' {
  interface FastifyRequest {
    systemAccess: SystemAccess | null;
  }
}

/** Registers the operator API under the configured prefix. */
export async function operatorApiRoutes(app: FastifyInstance, opts: OperatorApiRoutesOptions): Promise<void> {
  const { prefix } = operatorApiSettings(opts.services.config);
  await app.register(operatorApi, { ...opts, prefix });
}

async function operatorApi(app: FastifyInstance, opts: OperatorApiRoutesOptions): Promise<void> {
  const { services } = opts;
  const { logger } = services;

  app.decorateRequest('systemAccess', null);

  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('cache-control', 'no-store');
    return payload;
  });

  const sendError = (reply: FastifyReply, err: OperatorApiError) => {
    if (err.status === 401) {
      reply.header('www-authenticate', `Bearer realm="operator-api", error="invalid_token"`);
    } else if (err.status === 403) {
      reply.header('www-authenticate', `Bearer realm="operator-api", error="insufficient_scope"`);
    }
    return reply.code(err.status).send({ error: err.error, error_description: err.message });
  };

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, req, reply) => {
    if (err instanceof OperatorApiError) return sendError(reply, err);
    if (err.statusCode === 429) return reply.send(err);
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return sendError(reply, new OperatorApiError(err.statusCode, 'invalid_request', err.message));
    }
    req.log.error({ err }, 'operator API request failed');
    return sendError(reply, new OperatorApiError(500, 'server_error', 'Internal error'));
  });

  app.setNotFoundHandler(async (_req, reply) =>
    sendError(reply, new OperatorApiError(404, 'not_found', 'No such operator API endpoint')),
  );

  /** mTLS + system client token + the route's scope; a failed check is logged without the token. */
  const guard = (scope: OperatorScope) => async (req: FastifyRequest) => {
    try {
      req.systemAccess = await verifySystemAccess(services, req);
      requireScope(req.systemAccess, scope);
    } catch (err) {
      if (err instanceof OperatorApiError) {
        logger.warn(
          {
            event: 'operator_api_denied',
            client_id: req.systemAccess?.clientId,
            path: req.routeOptions.url,
            error: err.error,
          },
          'operator API access denied',
        );
      }
      throw err;
    }
  };

  const context: OperatorApiContext = { services, guard };
  await app.register(deviceRoutes, context);
  await app.register(assignmentRoutes, context);
  await app.register(pairingRoutes, context);
  await app.register(outboxRoutes, context);
}
