// The operator server: a fastify instance of its own (never the DiGA-facing HTTPS app), on loopback by
// default, with the routes of routes.ts. Beyond loopback an operator login is mandatory; without one, only
// requests addressed to this machine by name are answered.
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import { rememberLanguage } from '../shared/i18n.ts';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import { ConfigError, dataPath } from '../../config/load.ts';
import type { GatewayConfig } from '../../config/types.ts';
import type { Logger } from '../../gateway/log.ts';
import type { Store } from '../../gateway/store/store.ts';
import { isLoopbackHost, isLoopbackHostHeader, OperatorAuth } from './auth.ts';
import type { OperatorContext } from './context.ts';
import { machineGuard, pageGuard } from './guard.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { OperatorProbes } from './probes.ts';
import * as routes from './routes.ts';
import { SCHEMAS, type LoginForm } from './schemas.ts';
import { NO_INPUT, requireRouteSchemas } from '../shared/route-schema.ts';

export interface OperatorServerOptions {
  config: GatewayConfig;
  store: Store;
  probes: OperatorProbes;
  metrics: GatewayMetrics;
  log?: Logger;
  now?: () => number;
}

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

function operatorFastify(config: GatewayConfig): FastifyInstance {
  const op = config.operator;
  const base = { logger: false, bodyLimit: 8 * 1024, trustProxy: false } as const;
  if (!op.tls) return Fastify(base) as unknown as FastifyInstance;
  const https = {
    cert: fs.readFileSync(dataPath(config, op.tls.certFile)),
    key: fs.readFileSync(dataPath(config, op.tls.keyFile)),
    minVersion: 'TLSv1.2' as const,
  };
  return Fastify({ ...base, https }) as unknown as FastifyInstance;
}

export async function buildOperatorServer(opts: OperatorServerOptions): Promise<FastifyInstance> {
  const { config, store, probes, metrics } = opts;
  checkOperatorConfig(config);
  const op = config.operator;
  const now = opts.now ?? Date.now;
  const secureCookies = Boolean(op.tls);
  const app = operatorFastify(config);
  requireRouteSchemas(app);
  const auth = op.login ? new OperatorAuth(op.login, op.sessionIdleMinutes * 60_000, now) : null;
  const context: OperatorContext = {
    config,
    probes,
    metrics,
    auth,
    source: { config, store, probes },
    now,
    log: opts.log,
    secureCookies,
  };
  app.decorate('operator', context);

  await app.register(fastifyCookie, { secret: randomBytes(32).toString('hex') });
  await app.register(fastifyFormbody);
  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: 'hddt_operator_csrf',
    cookieOpts: { signed: true, httpOnly: true, sameSite: 'strict', path: '/', secure: secureCookies },
  });

  // `?lang=` (the language links of the pages) is kept in a cookie.
  app.addHook('onRequest', async (req, reply) => rememberLanguage(req, reply, secureCookies));
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

  // Access is checked, and the CSRF token, before any input is validated.
  app.get('/healthz', { schema: SCHEMAS.healthz }, routes.healthz);
  app.get('/readyz', { schema: SCHEMAS.readyz }, routes.readyz);
  app.get('/metrics', { preValidation: machineGuard, schema: SCHEMAS.metrics }, routes.metricsText);
  app.get('/status.json', { preValidation: machineGuard, schema: SCHEMAS.statusJson }, routes.statusJson);
  app.get('/', { preValidation: pageGuard, schema: NO_INPUT }, routes.statusPage);
  if (auth) {
    app.get('/login', { schema: NO_INPUT }, routes.loginForm);
    const login = { preValidation: app.csrfProtection, schema: SCHEMAS.login, attachValidation: true };
    app.post<{ Body: LoginForm }>('/login', login, routes.loginSubmit);
    const logout = { preValidation: app.csrfProtection, schema: SCHEMAS.logout };
    app.post('/logout', logout, routes.logout);
  }
  return app;
}
