// The consent step of an authorization: the patient chooses which of the requested MIVs the DiGA may read
// (or denies), and is sent back to the DiGA's redirect_uri with a code or an error. The DiGA must still be
// active in the directory when the page is shown and when it is answered.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MivName } from '../../config/types.ts';
import { finishTransaction, type TransactionRow } from '../../gateway/store/oauth-requests.ts';
import { appendPrivacyEvent, patientRef } from '../audit/privacy-trail.ts';
import { lookupClient } from '../oauth/client-auth.ts';
import type { DirectoryEntry } from '../oauth/directory.ts';
import { OAuthError } from '../oauth/errors.ts';
import { authorize } from '../oauth/pairing.ts';
import { formatScope, MIV_SCOPE, mivOfScope, parseScope } from '../oauth/scopes.ts';
import { authenticated, loadTx, nowMs, sendError, sendHtml, toLogin, txExpired } from './flow.ts';
import { uiOf } from '../shared/i18n.ts';
import type { ConsentForm, TxQuery } from './schemas.ts';
import { consentView } from './views.ts';

/** The DiGA of the transaction if it may still pair; otherwise the error page is sent. */
async function txClient(
  req: FastifyRequest,
  reply: FastifyReply,
  row: TransactionRow,
): Promise<DirectoryEntry | undefined> {
  try {
    const entry = await lookupClient(req.server.services, row.client_id);
    if (entry && entry.status === 'active' && entry.redirectUris.includes(row.redirect_uri)) return entry;
    sendError(reply, 400, 'invalid_client', 'error.clientInvalid');
  } catch (err) {
    if (!(err instanceof OAuthError)) throw err;
    sendError(reply, err.status, err.error, 'error.directoryDown');
  }
  return undefined;
}

/** The logged-in patient's transaction and its DiGA; otherwise the answer (login, expired, error) is sent. */
async function openConsent(
  req: FastifyRequest,
  reply: FastifyReply,
  tx: string | undefined,
): Promise<{ patientId: string; row: TransactionRow; entry: DirectoryEntry } | FastifyReply> {
  const session = authenticated(req);
  if (!session) return toLogin(reply, tx);
  const row = loadTx(req, session, tx);
  if (!row) return txExpired(reply);
  const entry = await txClient(req, reply, row);
  if (!entry) return reply;
  return { patientId: session.patient_id!, row, entry };
}

function redirectToClient(reply: FastifyReply, row: TransactionRow, params: Record<string, string>) {
  const url = new URL(row.redirect_uri);
  for (const [k, v] of Object.entries(params)) url.searchParams.append(k, v);
  if (row.state !== null) url.searchParams.append('state', row.state);
  return reply.header('cache-control', 'no-store').redirect(url.toString(), 303);
}

const mivsOf = (scopes: string[]) => scopes.map(mivOfScope).filter((m): m is MivName => m !== undefined);

export async function consentForm(req: FastifyRequest<{ Querystring: TxQuery }>, reply: FastifyReply) {
  const { tx } = req.query;
  const open = await openConsent(req, reply, tx);
  if (!('row' in open)) return open;
  const { row, entry } = open;
  const csrf = reply.generateCsrf();
  // The consent form posts here and is answered with a redirect to the DiGA: allow that origin.
  reply.header(
    'content-security-policy',
    `default-src 'self';style-src 'self' 'unsafe-inline';img-src 'self' data:;frame-ancestors 'none';` +
      `base-uri 'self';object-src 'none';form-action 'self' ${new URL(row.redirect_uri).origin}`,
  );
  const consentDays = req.server.services.config.server.oauth.consentDays;
  return sendHtml(
    reply,
    200,
    consentView(uiOf(req), { csrf, tx, entry, mivs: mivsOf(row.scope.split(' ')), consentDays }),
  );
}

export async function consentSubmit(req: FastifyRequest<{ Body: ConsentForm }>, reply: FastifyReply) {
  const { services } = req.server;
  const { tx, miv = [], decision } = req.body;
  const open = await openConsent(req, reply, tx);
  if (!('row' in open)) return open;
  const { patientId, row, entry } = open;
  const t = nowMs(req);
  if (!finishTransaction(services.store, row.id_hash, t)) return txExpired(reply);
  const requested = parseScope(row.scope) ?? [];
  const requestedMivs: string[] = mivsOf(requested);
  const chosen = [...new Set(miv)];
  if (decision !== 'allow' || chosen.length === 0 || !chosen.every((m) => requestedMivs.includes(m))) {
    appendPrivacyEvent(services.store, {
      event: 'pairing_failed',
      outcome: 'failure',
      atMs: t,
      patientRef: patientRef(services.store, patientId),
      clientId: row.client_id,
      reason: 'access_denied',
    });
    return redirectToClient(reply, row, {
      error: 'access_denied',
      error_description: 'The patient did not consent',
    });
  }
  const mivs = chosen as MivName[];
  const scope = formatScope([
    ...mivs.map((m) => MIV_SCOPE[m]),
    ...requested.filter((s) => mivOfScope(s) === undefined),
  ]);
  let code: string;
  try {
    ({ code } = authorize(services, {
      patientId,
      clientId: entry.clientId,
      mivs,
      scope,
      redirectUri: row.redirect_uri,
      codeChallenge: row.code_challenge,
    }));
  } catch (err) {
    req.log.error({ err }, 'pairing failed');
    return redirectToClient(reply, row, {
      error: 'server_error',
      error_description: 'Failed to generate pairing identifier',
    });
  }
  return redirectToClient(reply, row, { code });
}
