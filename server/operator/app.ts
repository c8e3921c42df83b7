// The operator server: a fastify instance of its own (never the DiGA-facing HTTPS app), on loopback by
// default. /healthz (alive), /readyz (store answers, enabled parts run), /metrics (Prometheus), / (status page),
// /status.json (the page's facts). Beyond loopback an operator login is mandatory.
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import { ConfigError, dataPath } from '../../config/load.ts';
import type { GatewayConfig } from '../../config/types.ts';
import type { Logger } from '../../gateway/log.ts';
import type { Store } from '../../gateway/store/store.ts';
import { isLoopbackHost, isLoopbackHostHeader, OperatorAuth } from './auth.ts';
import type { GatewayMetrics } from './metrics.ts';
import { renderLoginPage, renderStatusPage } from './page.ts';
import type { OperatorProbes } from './probes.ts';
import { collectStatus, glucoseCharts, readiness, type StatusSource } from './status.ts';

export interface OperatorServerOptions {
  config: GatewayConfig;
  store: Store;
  probes: OperatorProbes;
  metrics: GatewayMetrics;
  log?: Logger;
  now?: () => number;
}

const SESSION_COOKIE = 'hddt_operator';

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** Refuses a configuration that would expose the operator side without a login (ConfigError → exit 2). */
export function checkOperatorConfig(config: GatewayConfig): void {
  const op = config.operator;
  if (!isLoopbackHost(op.host) && !op.login) {
    throw new ConfigError(
      `configuration key 'operator.host' has value ${JSON.stringify(op.host)}: the operator server listens beyond ` +
        `loopback only with an operator login; set operator.login (username and passwordHash, see ` +
        `docs/operator.md) or use host 127.0.0.1`,
    );
  }
}

export async function buildOperatorServer(opts: OperatorServerOptions): Promise<FastifyInstance> {
  const { config, store, probes, metrics } = opts;
  checkOperatorConfig(config);
  const op = config.operator;
  const now = opts.now ?? Date.now;
  const tls = op.tls
    ? {
        cert: fs.readFileSync(dataPath(config, op.tls.certFile)),
        key: fs.readFileSync(dataPath(config, op.tls.keyFile)),
        minVersion: 'TLSv1.2' as const,
      }
    : null;
  const app = (tls
    ? Fastify({ https: tls, logger: false, bodyLimit: 8 * 1024, trustProxy: false })
    : Fastify({ logger: false, bodyLimit: 8 * 1024, trustProxy: false })) as unknown as FastifyInstance;
  const auth = op.login ? new OperatorAuth(op.login, op.sessionIdleMinutes * 60_000, now) : null;
  const source: StatusSource = { config, store, probes };

  await app.register(fastifyCookie, { secret: randomBytes(32).toString('hex') });
  await app.register(fastifyFormbody);
  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: 'hddt_operator_csrf',
    cookieOpts: { signed: true, httpOnly: true, sameSite: 'strict', path: '/', secure: tls !== null },
  });

  app.addHook('onSend', async (_req, reply, payload) => {
    reply.headers(SECURITY_HEADERS);
    return payload;
  });

  // Without a login, answer only requests addressed to this machine by name: a web page cannot then reach the
  // status through DNS rebinding.
  if (!auth) {
    app.addHook('onRequest', async (req, reply) => {
      if (!isLoopbackHostHeader(req.headers.host)) {
        await reply.code(421).type('text/plain').send('misdirected request: use localhost or 127.0.0.1\n');
      }
    });
  }

  /** Page routes: a session, else to the login form. Machine routes: a session or HTTP Basic, else 401. */
  const guard = (kind: 'page' | 'machine') => async (req: FastifyRequest, reply: FastifyReply) => {
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
  };

  app.get('/healthz', async (_req, reply) => reply.type('text/plain').send('ok\n'));

  app.get('/readyz', async (_req, reply) => {
    const r = readiness(source);
    return reply
      .code(r.ready ? 200 : 503)
      .type('text/plain')
      .send(r.ready ? 'ready\n' : `not ready: ${r.missing.join(', ')}\n`);
  });

  app.get('/metrics', { preHandler: guard('machine') }, async (_req, reply) => {
    const text = await metrics.text();
    return reply.type(metrics.registry.contentType).send(text);
  });

  app.get('/status.json', { preHandler: guard('machine') }, async (_req, reply) =>
    reply.type('application/json').send(collectStatus(source, now())),
  );

  app.get('/', { preHandler: guard('page') }, async (_req, reply) => {
    const t = now();
    const charts = glucoseCharts(source, t);
    const status = collectStatus(source, t, charts);
    const html = renderStatusPage(status, charts, config.timezone, {
      ...(auth ? { loggedIn: { csrfToken: reply.generateCsrf() } } : {}),
    });
    return reply.type('text/html; charset=utf-8').send(html);
  });

  if (auth) {
    app.get('/login', async (_req, reply) =>
      reply.type('text/html; charset=utf-8').send(renderLoginPage(reply.generateCsrf(), null)),
    );

    app.post<{ Body: { username?: string; password?: string } }>(
      '/login',
      { preHandler: app.csrfProtection },
      async (req, reply) => {
        const { username, password } = req.body ?? {};
        if (typeof username !== 'string' || typeof password !== 'string') {
          return reply
            .code(400)
            .type('text/html; charset=utf-8')
            .send(renderLoginPage(reply.generateCsrf(), 'Enter user and password.'));
        }
        const result = await auth.check(req.ip, username, password);
        if (result !== 'ok') {
          opts.log?.warn({ component: 'operator', result }, 'operator login failed');
          return reply
            .code(result === 'locked' ? 429 : 401)
            .type('text/html; charset=utf-8')
            .send(
              renderLoginPage(
                reply.generateCsrf(),
                result === 'locked'
                  ? 'Too many failed attempts; wait and try again.'
                  : 'Wrong user or password.',
              ),
            );
        }
        reply.setCookie(SESSION_COOKIE, auth.createSession(), {
          httpOnly: true,
          sameSite: 'strict',
          path: '/',
          secure: tls !== null,
        });
        return reply.redirect('/', 303);
      },
    );

    app.post('/logout', { preHandler: app.csrfProtection }, async (req, reply) => {
      auth.endSession(req.cookies[SESSION_COOKIE]);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.redirect('/login', 303);
    });
  }

  return app;
}
