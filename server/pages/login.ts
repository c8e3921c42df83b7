// Login, first step: username and password. An unknown user costs the same scrypt as a known one; a locked
// account answers like a wrong password; every failure goes into the privacy trail.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { getPatientByUsername } from '../../gateway/store/patients.ts';
import { getCredentials, isLocked, registerFailure, verifyPassword } from './accounts.ts';
import {
  afterLogin,
  authenticated,
  LOGIN_FAILED,
  loadTx,
  loginFailed,
  nowMs,
  sendHtml,
  txExpired,
  txQuery,
} from './flow.ts';
import type { LoginForm, TxQuery } from './schemas.ts';
import { elevateSession, ensureSession } from '../oauth/patient-session.ts';
import { loginView } from './views.ts';
import { uiOf, type MessageKey } from '../shared/i18n.ts';

function loginPage(reply: FastifyReply, status: number, tx: string | undefined, message?: MessageKey) {
  return sendHtml(reply, status, loginView(uiOf(reply.request), reply.generateCsrf(), tx, message));
}

export async function accountHome(req: FastifyRequest, reply: FastifyReply) {
  return reply.redirect(authenticated(req) ? '/account/pairings' : '/account/login', 303);
}

export async function loginForm(req: FastifyRequest<{ Querystring: TxQuery }>, reply: FastifyReply) {
  const { tx } = req.query;
  const session = ensureSession(req.server.services, req, reply);
  if (tx && !loadTx(req, session, tx)) return txExpired(reply);
  if (session.stage === 'authenticated') return afterLogin(reply, tx);
  return loginPage(reply, 200, tx);
}

export async function loginSubmit(req: FastifyRequest<{ Body: LoginForm }>, reply: FastifyReply) {
  const { services } = req.server;
  const { store } = services;
  const { tx, username = '', password = '' } = req.body;
  const session = ensureSession(services, req, reply);
  if (tx && !loadTx(req, session, tx)) return txExpired(reply);
  const t = nowMs(req);
  const patient = username.length <= 64 ? getPatientByUsername(store, username) : undefined;
  const cred = patient && patient.removed_ms === null ? getCredentials(store, patient.id) : undefined;
  if (!patient || !cred) {
    await verifyPassword(password, await req.server.dummyPasswordHash());
    loginFailed(req, t, undefined, 'password');
    return loginPage(reply, 401, tx, LOGIN_FAILED);
  }
  if (isLocked(cred, t)) {
    loginFailed(req, t, patient.id, 'locked');
    return loginPage(reply, 401, tx, LOGIN_FAILED);
  }
  if (!(await verifyPassword(password, cred.password_hash))) {
    registerFailure(store, cred, services.config.server.login, t);
    loginFailed(req, t, patient.id, 'password');
    return loginPage(reply, 401, tx, LOGIN_FAILED);
  }
  elevateSession(services, reply, session, patient.id, 'password');
  const next = cred.totp_secret ? '/account/login/totp' : '/account/enroll';
  return reply.redirect(`${next}${txQuery(tx)}`, 303);
}
