// Access to the operator server's pages and machine routes when an operator login is configured: a live
// session cookie, or HTTP Basic; else pages go to the login form and machine routes get 401 (429 while the
// address is locked out). Without a login (loopback only) everything is open.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_COOKIE } from './context.ts';

async function check(kind: 'page' | 'machine', req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const { auth } = req.server.operator;
  if (!auth) return;
  if (auth.touchSession(req.cookies[SESSION_COOKIE])) return;
  const basic = await auth.checkBasic(req.ip, req.headers.authorization);
  if (basic === 'ok') return;
  if (kind === 'page' && basic === 'absent') {
    await reply.redirect('/login', 303);
    return;
  }
  if (basic === 'locked') reply.header('retry-after', Math.ceil(auth.lockedFor(req.ip) / 1000));
  await reply
    .code(basic === 'locked' ? 429 : 401)
    .header('www-authenticate', 'Basic realm="hddt-gateway operator", charset="UTF-8"')
    .type('text/plain')
    .send(basic === 'locked' ? 'too many failed logins; try again later\n' : 'operator login required\n');
}

/** The status page: a session, else to the login form. */
export const pageGuard = (req: FastifyRequest, reply: FastifyReply) => check('page', req, reply);

/** /metrics and /status.json: a session or HTTP Basic, else 401. */
export const machineGuard = (req: FastifyRequest, reply: FastifyReply) => check('machine', req, reply);
