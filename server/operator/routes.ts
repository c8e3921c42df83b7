// The operator server's routes: /healthz (alive), /readyz (store answers, enabled parts run), /metrics
// (Prometheus), / (status page), /status.json (the page's facts), and with a login configured /login and
// /logout. Services come from the instance (`req.server.operator`, context.ts).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_COOKIE } from './context.ts';
import { renderLoginPage, renderStatusPage } from './page.ts';
import type { LoginForm } from './schemas.ts';
import { languageOf, translatorFor, type MessageKey } from '../shared/i18n.ts';
import { collectStatus, glucoseCharts, readiness } from './status.ts';

export async function healthz(_req: FastifyRequest, reply: FastifyReply) {
  return reply.type('text/plain').send('ok\n');
}

export async function readyz(req: FastifyRequest, reply: FastifyReply) {
  const r = readiness(req.server.operator.source);
  return reply
    .code(r.ready ? 200 : 503)
    .type('text/plain')
    .send(r.ready ? 'ready\n' : `not ready: ${r.missing.join(', ')}\n`);
}

export async function metricsText(req: FastifyRequest, reply: FastifyReply) {
  const { metrics } = req.server.operator;
  const text = await metrics.text();
  return reply.type(metrics.registry.contentType).send(text);
}

export async function statusJson(req: FastifyRequest, reply: FastifyReply) {
  const { source, now } = req.server.operator;
  return reply.type('application/json').send(collectStatus(source, now()));
}

export async function statusPage(req: FastifyRequest, reply: FastifyReply) {
  const { source, now, auth, config } = req.server.operator;
  const t = now();
  const charts = glucoseCharts(source, t);
  const status = collectStatus(source, t, charts);
  const html = renderStatusPage(status, charts, config.timezone, {
    tr: translatorFor(languageOf(req)),
    ...(auth ? { loggedIn: { csrfToken: reply.generateCsrf() } } : {}),
  });
  return reply.type('text/html; charset=utf-8').send(html);
}

function loginPage(reply: FastifyReply, status: number, error: MessageKey | null) {
  const tr = translatorFor(languageOf(reply.request));
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .send(renderLoginPage(reply.generateCsrf(), error && tr.t(error), tr));
}

export async function loginForm(_req: FastifyRequest, reply: FastifyReply) {
  return loginPage(reply, 200, null);
}

/** The form's schema is attached, not enforced: a form without user or password is the form again (400). */
export async function loginSubmit(req: FastifyRequest<{ Body: LoginForm }>, reply: FastifyReply) {
  const { log, secureCookies } = req.server.operator;
  const auth = req.server.operator.auth!; // the login routes exist only with a login configured
  if (req.validationError) return loginPage(reply, 400, 'operator.login.missing');
  const result = await auth.check(req.ip, req.body.username, req.body.password);
  if (result !== 'ok') {
    log?.warn({ component: 'operator', result }, 'operator login failed');
    const message = result === 'locked' ? 'operator.login.locked' : 'operator.login.wrong';
    return loginPage(reply, result === 'locked' ? 429 : 401, message);
  }
  reply.setCookie(SESSION_COOKIE, auth.createSession(), {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure: secureCookies,
  });
  return reply.redirect('/', 303);
}

export async function logout(req: FastifyRequest, reply: FastifyReply) {
  req.server.operator.auth?.endSession(req.cookies[SESSION_COOKIE]);
  reply.clearCookie(SESSION_COOKIE, { path: '/' });
  return reply.redirect('/login', 303);
}
