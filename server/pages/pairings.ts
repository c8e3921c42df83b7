// The logged-in patient's pages: pairings with revoke (one, or all consent at once), the privacy audit trail,
// logout. Without a logged-in session every one of them sends the browser to the login form.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { listPairingsOfPatient } from '../../gateway/store/oauth-grants.ts';
import { appendPrivacyEvent, patientRef, privacyEventsOfPatient } from '../audit/privacy-trail.ts';
import { unpair, unpairPatient } from '../oauth/pairing.ts';
import { authenticated, nowMs, sendError, sendHtml, toLogin } from './flow.ts';
import { uiOf } from '../shared/i18n.ts';
import { auditView, pairingsView } from './pairings-view.ts';
import type { RevokeForm } from './schemas.ts';
import { currentSession, endSession } from '../oauth/patient-session.ts';

export async function pairingsPage(req: FastifyRequest, reply: FastifyReply) {
  const { services } = req.server;
  const session = authenticated(req);
  if (!session) return toLogin(reply);
  const csrf = reply.generateCsrf();
  const t = nowMs(req);
  const rows = listPairingsOfPatient(services.store, session.patient_id!);
  const names = new Map<string, string>();
  try {
    for (const e of await services.directory.entries()) names.set(e.clientId, e.name);
  } catch {
    // Directory unreachable: show client ids only.
  }
  return sendHtml(reply, 200, pairingsView(uiOf(req), { csrf, rows, names, nowMs: t }));
}

/** Withdrawal of all consent: every pairing of the patient ends at once (grants, tokens, consent). */
export async function revokeAll(req: FastifyRequest, reply: FastifyReply) {
  const session = authenticated(req);
  if (!session) return toLogin(reply);
  unpairPatient(req.server.services, session.patient_id!, 'patient_withdrew_all');
  return reply.redirect('/account/pairings', 303);
}

export async function revokeOne(req: FastifyRequest<{ Body: RevokeForm }>, reply: FastifyReply) {
  const { services } = req.server;
  const session = authenticated(req);
  if (!session) return toLogin(reply);
  const pairingId = req.body.pairing ?? '';
  const patientId = session.patient_id!;
  const own = listPairingsOfPatient(services.store, patientId).some((p) => p.pairing_id === pairingId);
  if (!own) {
    appendPrivacyEvent(services.store, {
      event: 'unpairing_failed',
      outcome: 'failure',
      atMs: nowMs(req),
      patientRef: patientRef(services.store, patientId),
      reason: 'not_own_pairing',
    });
    return sendError(reply, 404, 'not_found', 'error.pairingNotFound');
  }
  unpair(services, pairingId, 'patient_revoked');
  return reply.redirect('/account/pairings', 303);
}

export async function auditPage(req: FastifyRequest, reply: FastifyReply) {
  const { services } = req.server;
  const session = authenticated(req);
  if (!session) return toLogin(reply);
  const patientId = session.patient_id!;
  const pairings = listPairingsOfPatient(services.store, patientId).map((p) => p.pairing_id);
  const rows = privacyEventsOfPatient(services.store, patientId, pairings);
  const days = services.config.server.privacyAuditRetentionDays;
  return sendHtml(reply, 200, auditView(uiOf(req), reply.generateCsrf(), rows, days));
}

export async function logout(req: FastifyRequest, reply: FastifyReply) {
  endSession(req.server.services, reply, currentSession(req.server.services, req));
  return reply.redirect('/account/login', 303);
}
