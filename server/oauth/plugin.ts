// The authorization server as one fastify plugin: metadata, /par, /authorize, /token, /revoke.
// OAuth endpoints answer errors as RFC 6749 JSON with Cache-Control: no-store, whatever went wrong
// (including body parsing), and never log parameters (they carry codes and tokens).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerServices } from '../services.ts';
import { authorizeHandler } from './authorize.ts';
import { noStore, OAuthError, sendOAuthError } from './errors.ts';
import { authorizationServerMetadata } from './metadata.ts';
import { parHandler } from './par.ts';
import { revokeHandler } from './revoke.ts';
import { OAUTH_SCHEMAS } from './schemas.ts';
import { tokenHandler } from './token.ts';
import { NO_INPUT } from '../shared/route-schema.ts';
import { maintenanceMessage } from '../service/maintenance-board.ts';

export interface OAuthRoutesOptions {
  services: ServerServices;
}

const FORM = 'application/x-www-form-urlencoded';

export async function oauthRoutes(app: FastifyInstance, opts: OAuthRoutesOptions): Promise<void> {
  const { services } = opts;

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (err instanceof OAuthError) return sendOAuthError(reply, err);
    if (err.statusCode === 429) return reply.send(err);
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return sendOAuthError(reply, new OAuthError('invalid_request', 'The request is malformed'));
    }
    req.log.error({ err }, 'OAuth endpoint failed');
    return sendOAuthError(reply, new OAuthError('server_error', 'Internal error'));
  });

  // During maintenance the endpoints answer 503 temporarily_unavailable; the metadata stays readable.
  app.addHook('onRequest', async (req, reply) => {
    const w = req.url.startsWith('/.well-known/') ? undefined : services.maintenance.active('oauth');
    if (w) {
      const err = new OAuthError('temporarily_unavailable', maintenanceMessage(w));
      return sendOAuthError(reply, err, services.maintenance.retryAfterSeconds(w));
    }
  });

  const requireForm = async (req: FastifyRequest, reply: FastifyReply) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== FORM) {
      return sendOAuthError(reply, new OAuthError('invalid_request', `Content-Type must be ${FORM}`));
    }
  };

  app.get('/.well-known/oauth-authorization-server', { schema: NO_INPUT }, async (_req, reply) => {
    return reply
      .header('cache-control', 'max-age=300')
      .send(authorizationServerMetadata(services.config.server));
  });

  const form = { preValidation: requireForm, schema: OAUTH_SCHEMAS.form, attachValidation: true };
  app.post('/par', form, (req, reply) => parHandler(services, req, reply));
  app.get('/authorize', { schema: OAUTH_SCHEMAS.query, attachValidation: true }, (req, reply) =>
    authorizeHandler(services, req, reply),
  );
  app.post('/token', form, (req, reply) => tokenHandler(services, req, reply));
  app.post('/revoke', form, (req, reply) => revokeHandler(services, req, reply));

  for (const path of ['/par', '/token', '/revoke']) {
    app.route({
      method: ['GET', 'PUT', 'DELETE', 'PATCH'],
      url: path,
      schema: NO_INPUT,
      handler: async (_req, reply) =>
        noStore(reply)
          .code(405)
          .header('allow', 'POST')
          .send({ error: 'invalid_request', error_description: 'Use POST' }),
    });
  }
}
