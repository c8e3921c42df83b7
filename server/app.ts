// The HTTPS application: fastify on node:https with the TLS profile of server/shared/tls.ts, security headers,
// form bodies, rate limiting and cookies; each API area is a plugin registered with its prefix. Shared
// services are decorated onto the instance (`app.services`).
import { randomUUID } from 'node:crypto';
import type { Server as TlsServer } from 'node:tls';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import type { ServerServices } from './services.ts';
import { readTlsMaterial, refuseRenegotiation, tlsServerOptions, type TlsMaterial } from './shared/tls.ts';
import { oauthRoutes } from './oauth/plugin.ts';
import { pageRoutes } from './pages/plugin.ts';
import { fhirRoutes } from './fhir/plugin.ts';
import { operatorApiRoutes } from './operator-api/plugin.ts';
import { serviceRoutes } from './service/plugin.ts';
import { fhirSettings } from './shared/fhir-settings.ts';
import { clientErrorHandler, frameworkErrors } from './client-errors.ts';
import { requireRouteSchemas } from './shared/route-schema.ts';

declare module 'fastify' {
  interface FastifyInstance {
    services: ServerServices;
  }
}

/**
 * Limits against slow clients (slowloris) and idle sockets. Node's defaults leave a request without a time
 * limit under fastify (requestTimeout 0) and check header timeouts only every 30 s.
 */
export interface ServerTimeouts {
  /** The TLS handshake must finish within this. */
  handshakeMs: number;
  /** The request line and all headers must arrive within this (node's headersTimeout). */
  headersMs: number;
  /** The whole request, body included (node's requestTimeout). */
  requestMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveMs: number;
  /** A socket with no traffic either way is closed after this. */
  idleMs: number;
  /** How often node checks the header and request timeouts. */
  checkIntervalMs: number;
}

export const SERVER_TIMEOUTS: ServerTimeouts = {
  handshakeMs: 20_000,
  headersMs: 20_000,
  requestMs: 60_000,
  // fastify's default: longer than the idle timeout of common client pools, so a client never reuses a
  // connection the server is just closing
  keepAliveMs: 72_000,
  idleMs: 120_000,
  checkIntervalMs: 1_000,
};

/** Options of @fastify/helmet for every response of the HTTPS server. */
export const HELMET_OPTIONS: FastifyHelmetOptions = {
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      styleSrc: ["'self'", "'unsafe-inline'"],
      scriptSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
  hsts: { maxAge: 31_536_000, includeSubDomains: true },
  referrerPolicy: { policy: 'no-referrer' },
};

/** The headers @fastify/helmet sets with these options (none depends on the request without CSP nonces). */
export async function helmetHeaders(options: FastifyHelmetOptions): Promise<Record<string, string>> {
  if ((options as { enableCSPNonces?: boolean }).enableCSPNonces)
    throw new Error('CSP nonces vary per request');
  const probe = Fastify();
  let headers: Record<string, string> = {};
  await probe.register(fastifyHelmet, options);
  probe.get('/', async (_req, reply) => {
    // only onRequest hooks (helmet's) ran so far: fastify adds its own headers when the reply is sent
    headers = Object.fromEntries(Object.entries(reply.getHeaders()).map(([k, v]) => [k, String(v)]));
    return '';
  });
  await probe.inject('/');
  await probe.close();
  if (Object.keys(headers).length === 0) throw new Error('@fastify/helmet set no headers');
  return headers;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The X-Request-ID a client sent, when it is one UUID (anything else could forge or flood log fields). */
export function clientRequestId(header: string | string[] | undefined): string | undefined {
  return typeof header === 'string' && UUID.test(header) ? header.toLowerCase() : undefined;
}

export interface BuildServerOptions {
  /** Server certificate and key; read from the configured files when omitted. */
  tls?: TlsMaterial;
  /** Shorter limits for tests; the defaults are SERVER_TIMEOUTS. */
  timeouts?: Partial<ServerTimeouts>;
}

export async function buildServer(
  services: ServerServices,
  options: BuildServerOptions = {},
): Promise<FastifyInstance> {
  const { config } = services;
  const tls = options.tls ?? readTlsMaterial(config);
  const t = { ...SERVER_TIMEOUTS, ...options.timeouts };
  const app = Fastify({
    https: {
      ...tlsServerOptions(tls),
      handshakeTimeout: t.handshakeMs,
      headersTimeout: t.headersMs,
      connectionsCheckingInterval: t.checkIntervalMs,
    },
    connectionTimeout: t.idleMs,
    keepAliveTimeout: t.keepAliveMs,
    requestTimeout: t.requestMs,
    loggerInstance: services.logger,
    // No per-request logs: URLs of the patient pages and /authorize carry transaction references.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
    trustProxy: false,
    // A unique id per request: the request log's transaction_id, and the reqId of the application's log lines.
    // A client's own X-Request-ID (a UUID) is taken, so both sides' logs name the request alike (HDDT §4.5).
    genReqId: (req) => clientRequestId(req.headers['x-request-id']) ?? randomUUID(),
    return503OnClosing: true,
    // Requests refused before routing still get an OperationOutcome / OAuth error (server/client-errors.ts).
    frameworkErrors: frameworkErrors(fhirSettings(config).base),
    clientErrorHandler: clientErrorHandler(fhirSettings(config).base),
  }) as unknown as FastifyInstance;

  // A connection's client certificate is cached per socket (https.ts): renegotiation must not change it.
  refuseRenegotiation(app.server as unknown as TlsServer);
  requireRouteSchemas(app);
  app.decorate('services', services);
  // HTTP and token metrics for the operator server's /metrics (server/operator/http-metrics.ts).
  await app.register((await import('./operator/http-metrics.ts')).httpMetrics);

  // HDDT request log of the authorization server and the FHIR API, 429 answers included (server/audit).
  await app.register((await import('./audit/request-log-plugin.ts')).requestLogPlugin, { services });

  // The security headers @fastify/helmet gives, worked out once: the plugin would rebuild helmet (and parse
  // the CSP directives) on every request, a visible share of a small FHIR read.
  const securityHeaders = await helmetHeaders(HELMET_OPTIONS);
  app.addHook('onRequest', (req, reply, done) => {
    reply.headers(securityHeaders).header('x-request-id', req.id);
    done();
  });
  await app.register(fastifyRateLimit, {
    max: config.server.rateLimit.max,
    timeWindow: config.server.rateLimit.windowMs,
  });
  await app.register(fastifyCookie, {
    secret: services.store.secret('cookie-signing-secret', 32).toString('hex'),
  });
  await app.register(fastifyFormbody);

  // Public status feed and service documentation (HDDT §4.6): server/service.
  await app.register(serviceRoutes);
  // OAuth2 authorization server (HDDT pairing): metadata, /par, /authorize, /token, /revoke.
  await app.register(oauthRoutes, { services });
  // Patient pages: login with TOTP, consent, pairings, privacy audit trail.
  await app.register(pageRoutes, { prefix: '/account' });

  // ── FHIR resource server ───────────────────────────────────────────────────────────────────────────
  // server/fhir/plugin.ts, under the configured base (server.fhir.base, default /fhir); tokens are checked
  // with verifyAccessToken() from server/oauth/access.ts.
  await app.register(fhirRoutes);
  // Operator API for system clients (client_credentials, mTLS; never patient data): server/operator-api.
  await app.register(operatorApiRoutes, { services });
  // ───────────────────────────────────────────────────────────────────────────────────────────────────

  return app;
}
