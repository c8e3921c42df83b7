// What the patient-page handlers share: HTML replies, the login stage of the browser session, and the open
// authorization transaction (`tx`) a login or consent belongs to. Services come from the instance
// (`req.server.services`, decorated by server/app.ts).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SessionRow } from '../../gateway/store/oauth-accounts.ts';
import { getTransaction, type TransactionRow } from '../../gateway/store/oauth-requests.ts';
import { appendPrivacyEvent, patientRef } from '../audit/privacy-trail.ts';
import { hashSecret } from '../oauth/secrets.ts';
import { errorPage } from '../shared/html.ts';
import { uiOf, type MessageKey } from '../shared/i18n.ts';
import { currentSession } from '../oauth/patient-session.ts';

/** The one answer to every failed login step (it tells nothing about what was wrong). */
export const LOGIN_FAILED: MessageKey = 'login.failed';

export function sendHtml(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(body);
}

export function txQuery(tx: string | undefined): string {
  return tx ? `?tx=${encodeURIComponent(tx)}` : '';
}

export function nowMs(req: FastifyRequest): number {
  return req.server.services.clock.now().getTime();
}

/** Back to the login form, keeping the transaction. */
export function toLogin(reply: FastifyReply, tx?: string): FastifyReply {
  return reply.redirect(`/account/login${txQuery(tx)}`, 303);
}

/** The authorization transaction of this session named by `tx`, if still open. */
export function loadTx(
  req: FastifyRequest,
  session: SessionRow | undefined,
  tx: string | undefined,
): TransactionRow | undefined {
  if (!session || !tx || tx.length > 100) return undefined;
  const row = getTransaction(req.server.services.store, hashSecret(tx));
  if (!row || row.session_id !== session.id || row.done_ms !== null || row.expires_ms <= nowMs(req))
    return undefined;
  return row;
}

export function txExpired(reply: FastifyReply): FastifyReply {
  return sendError(reply, 400, 'invalid_request', 'error.txExpired');
}

/** The error page in the request's language; `error` is the machine-readable code. */
export function sendError(
  reply: FastifyReply,
  status: number,
  error: string,
  text: MessageKey,
): FastifyReply {
  const ui = uiOf(reply.request);
  return sendHtml(reply, status, errorPage(ui, error, ui.t(text)));
}

export function afterLogin(reply: FastifyReply, tx: string | undefined): FastifyReply {
  return reply.redirect(tx ? `/account/consent${txQuery(tx)}` : '/account/pairings', 303);
}

/** The session if it is fully logged in. */
export function authenticated(req: FastifyRequest): SessionRow | undefined {
  const s = currentSession(req.server.services, req);
  return s && s.stage === 'authenticated' && s.patient_id ? s : undefined;
}

/** The session if the password was right and the second factor is still to come. */
export function passwordStage(req: FastifyRequest): SessionRow | undefined {
  const s = currentSession(req.server.services, req);
  return s && s.stage === 'password' && s.patient_id ? s : undefined;
}

/** A failed login in the privacy trail (the patient, when known, by pseudonym only). */
export function loginFailed(
  req: FastifyRequest,
  atMs: number,
  patientId: string | undefined,
  reason: string,
): void {
  const { store } = req.server.services;
  appendPrivacyEvent(store, {
    event: 'login_failed',
    outcome: 'failure',
    atMs,
    ...(patientId !== undefined ? { patientRef: patientRef(store, patientId) } : {}),
    reason,
  });
}
