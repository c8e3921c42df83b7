// Login, second step: the TOTP code (replay-protected by time step), and the enrolment of a new TOTP secret
// with a QR code after `patient reset-2fa`. Both need a session past the password step.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { confirmTotpPending, setTotpLastStep, type SessionRow } from '../../gateway/store/oauth-accounts.ts';
import { getPatient } from '../../gateway/store/patients.ts';
import { appendPrivacyEvent, patientRef } from '../audit/privacy-trail.ts';
import {
  checkPatientTotp,
  enrolmentSecret,
  getCredentials,
  isLocked,
  registerFailure,
  registerSuccess,
  totpUri,
} from './accounts.ts';
import {
  afterLogin,
  LOGIN_FAILED,
  loadTx,
  loginFailed,
  nowMs,
  passwordStage,
  sendHtml,
  toLogin,
  txExpired,
  txQuery,
} from './flow.ts';
import type { CodeForm, TxQuery } from './schemas.ts';
import { elevateSession } from '../oauth/patient-session.ts';
import { enrolView, totpView } from './views.ts';
import { uiOf, type MessageKey } from '../shared/i18n.ts';

function totpPage(reply: FastifyReply, status: number, tx: string | undefined, message?: MessageKey) {
  return sendHtml(reply, status, totpView(uiOf(reply.request), reply.generateCsrf(), tx, message));
}

async function completeLogin(
  req: FastifyRequest,
  reply: FastifyReply,
  session: SessionRow,
  patientId: string,
  tx: string | undefined,
) {
  const { services } = req.server;
  const t = nowMs(req);
  registerSuccess(services.store, patientId, t);
  elevateSession(services, reply, session, patientId, 'authenticated');
  appendPrivacyEvent(services.store, {
    event: 'login',
    outcome: 'success',
    atMs: t,
    patientRef: patientRef(services.store, patientId),
  });
  return afterLogin(reply, tx);
}

export async function totpForm(req: FastifyRequest<{ Querystring: TxQuery }>, reply: FastifyReply) {
  const { tx } = req.query;
  if (!passwordStage(req)) return toLogin(reply, tx);
  return totpPage(reply, 200, tx);
}

export async function totpSubmit(req: FastifyRequest<{ Body: CodeForm }>, reply: FastifyReply) {
  const { services } = req.server;
  const { store } = services;
  const { tx, code = '' } = req.body;
  const session = passwordStage(req);
  if (!session) return toLogin(reply, tx);
  if (tx && !loadTx(req, session, tx)) return txExpired(reply);
  const patientId = session.patient_id!;
  const cred = getCredentials(store, patientId);
  const t = nowMs(req);
  if (!cred || !cred.totp_secret) return toLogin(reply, tx);
  if (isLocked(cred, t)) {
    loginFailed(req, t, patientId, 'locked');
    return totpPage(reply, 401, tx, LOGIN_FAILED);
  }
  const step = await checkPatientTotp(store, cred, 'active', code, t);
  if (step === undefined) {
    registerFailure(store, cred, services.config.server.login, t);
    loginFailed(req, t, patientId, 'totp');
    return totpPage(reply, 401, tx, LOGIN_FAILED);
  }
  setTotpLastStep(store, patientId, step);
  return completeLogin(req, reply, session, patientId, tx);
}

export async function enrolForm(req: FastifyRequest<{ Querystring: TxQuery }>, reply: FastifyReply) {
  const { store } = req.server.services;
  const { tx } = req.query;
  const session = passwordStage(req);
  const cred = session ? getCredentials(store, session.patient_id!) : undefined;
  if (!session || !cred || cred.totp_secret) return toLogin(reply, tx);
  const patient = getPatient(store, session.patient_id!)!;
  const uri = totpUri(patient.username, enrolmentSecret(store, cred, nowMs(req)));
  // loaded here, not at start: only an enrolment draws a QR code
  const { default: QRCode } = await import('qrcode');
  const svg = await QRCode.toString(uri, { type: 'svg', margin: 1, width: 220 });
  return sendHtml(reply, 200, enrolView(uiOf(reply.request), reply.generateCsrf(), tx, uri, svg));
}

export async function enrolSubmit(req: FastifyRequest<{ Body: CodeForm }>, reply: FastifyReply) {
  const { services } = req.server;
  const { store } = services;
  const { tx, code = '' } = req.body;
  const session = passwordStage(req);
  const cred = session ? getCredentials(store, session.patient_id!) : undefined;
  if (!session || !cred || cred.totp_secret || !cred.totp_pending) return toLogin(reply, tx);
  const t = nowMs(req);
  const step = await checkPatientTotp(store, cred, 'pending', code, t);
  if (step === undefined || !confirmTotpPending(store, cred.patient_id, step, t)) {
    registerFailure(store, cred, services.config.server.login, t);
    loginFailed(req, t, cred.patient_id, 'totp_enrolment');
    return reply.redirect(`/account/enroll${txQuery(tx)}`, 303);
  }
  return completeLogin(req, reply, session, cred.patient_id, tx);
}
