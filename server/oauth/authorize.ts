// The authorization endpoint (browser). With PAR required, it takes exactly client_id and request_uri:
// anything else was not pushed and is rejected. The request_uri is consumed here; what it stood for
// becomes an authorization transaction of this browser session, which the patient pages (login, TOTP,
// consent) work on until they redirect back to the DiGA with a code or an error.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { getPar, insertTransaction, markParUsed } from '../../gateway/store/oauth-requests.ts';
import type { ServerServices } from '../services.ts';
import { appendPrivacyEvent } from '../audit/privacy-trail.ts';
import { errorPage } from '../shared/html.ts';
import { uiOf } from '../shared/i18n.ts';
import { ensureSession } from './patient-session.ts';
import { registrationViolation } from '../shared/certificates.ts';
import { lookupClient } from './client-auth.ts';
import { CLIENT_ID_PATTERN } from './directory.ts';
import { OAuthError, requestParams } from './errors.ts';
import { hashSecret, randomSecret, safeEqual } from './secrets.ts';

/** How long a patient has for login and consent once /authorize was opened. */
export const TRANSACTION_MS = 10 * 60_000;

const ALLOWED = new Set(['client_id', 'request_uri']);

function sendPageError(reply: FastifyReply, err: OAuthError) {
  return reply
    .code(err.status)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(errorPage(uiOf(reply.request), err.error, err.message));
}

export async function authorizeHandler(services: ServerServices, req: FastifyRequest, reply: FastifyReply) {
  const query = (req.query ?? {}) as Record<string, unknown>;
  const now = services.clock.now().getTime();
  const clientIdRaw = query.client_id;
  const fail = (err: OAuthError) => {
    appendPrivacyEvent(services.store, {
      event: 'pairing_failed',
      outcome: 'failure',
      atMs: now,
      clientId: typeof clientIdRaw === 'string' && CLIENT_ID_PATTERN.test(clientIdRaw) ? clientIdRaw : null,
      reason: `authorize:${err.error}`,
    });
    return sendPageError(reply, err);
  };
  try {
    requestParams(req, query);
    for (const k of Object.keys(query)) {
      if (!ALLOWED.has(k)) throw new OAuthError('invalid_request', `Parameter ${k} was not pushed (use PAR)`);
    }
    const clientId = query.client_id as string | undefined;
    const requestUri = query.request_uri as string | undefined;
    if (!clientId || !requestUri)
      throw new OAuthError('invalid_request', 'client_id and request_uri are required');
    if (!CLIENT_ID_PATTERN.test(clientId)) throw new OAuthError('invalid_client', 'Unknown client');
    const entry = await lookupClient(services, clientId);
    if (!entry || entry.status !== 'active' || registrationViolation(entry.certificates, now)) {
      throw new OAuthError('invalid_client', 'Unknown or inactive client');
    }
    const par = getPar(services.store, requestUri);
    if (!par || !safeEqual(par.client_id, clientId)) {
      throw new OAuthError('invalid_request_uri', 'request_uri is unknown or belongs to another client');
    }
    if (par.used_ms !== null) throw new OAuthError('invalid_request_uri', 'request_uri was already used');
    if (par.expires_ms <= now) throw new OAuthError('invalid_request_uri', 'request_uri expired');
    if (!entry.redirectUris.includes(par.redirect_uri)) {
      throw new OAuthError('invalid_request', 'redirect_uri is no longer registered for this client');
    }
    if (!markParUsed(services.store, requestUri, now)) {
      throw new OAuthError('invalid_request_uri', 'request_uri was already used');
    }
    const session = ensureSession(services, req, reply);
    const tx = randomSecret();
    insertTransaction(services.store, {
      id_hash: hashSecret(tx),
      session_id: session.id,
      client_id: par.client_id,
      redirect_uri: par.redirect_uri,
      scope: par.scope,
      state: par.state,
      code_challenge: par.code_challenge,
      created_ms: now,
      expires_ms: now + TRANSACTION_MS,
    });
    const next = session.stage === 'authenticated' ? '/account/consent' : '/account/login';
    return reply.header('cache-control', 'no-store').redirect(`${next}?tx=${encodeURIComponent(tx)}`, 303);
  } catch (err) {
    if (err instanceof OAuthError) return fail(err);
    throw err;
  }
}
