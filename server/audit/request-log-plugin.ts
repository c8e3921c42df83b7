// The HDDT request log of the HTTPS server (spec/hddt.md §4.5): one app-level hook that logs every request of
// the authorization server (metadata, /par, /authorize, /token, /revoke) and of the FHIR API, so no route can
// forget it. server/app.ts registers it once, before the rate limit. What each line holds:
// - partner_id: the FQDN the operation was served as (the configured issuer, or the FHIR public base), never
//   the request's Host header; client_id apart; pairing_id from the access token (FHIR) or the token response;
// - never a parameter value: no code, token, request_uri, password or TOTP (OAuth error texts name parameters,
//   not values); error_code/error_description from the FHIR state or the OAuth error body.
// Requests without a client certificate and 429 answers are counted per address and minute (flood-aggregate.ts).
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { dataPath } from '../../config/load.ts';
import type { GatewayConfig } from '../../config/types.ts';
import { fhirSettings } from '../shared/fhir-settings.ts';
import { peerCertificate } from '../shared/tls.ts';
import { gatewayMetrics } from '../operator/metrics.ts';
import type { ServerServices } from '../services.ts';
import { addressPrefix } from './address-prefix.ts';
import { FloodAggregator } from './flood-aggregate.ts';
import { RequestLog, type RequestLogAlarm } from './request-log.ts';
import type { EventType, RequestLogFields } from './request-log-line.ts';
import { requestLogSettings, type RequestLogSettings } from './request-log-settings.ts';

export interface RequestLogPluginOptions {
  services: ServerServices;
  /** A log made by the caller (tests; closed by them); default: as configured, null disables. */
  log?: RequestLog | null;
}

/** What the FHIR plugin leaves on a request (server/fhir/plugin.ts), read here only. */
interface FhirFacts {
  interfaceId?: string;
  eventType?: EventType;
  access?: { pairingId?: string; clientId?: string };
  errorCode?: string;
  errorDescription?: string;
  message?: string;
}

interface Target {
  interfaceId: string;
  partnerId: string | null;
  fhir: boolean;
}

/** Facts taken from the response body before it is sent (OAuth error, the token response's `sub`). */
interface BodyFacts {
  error?: string;
  errorDescription?: string;
  pairingId?: string;
}

const OAUTH_PATHS: Record<string, string> = {
  '/.well-known/oauth-authorization-server': 'oauth:metadata',
  '/par': 'oauth:par',
  '/authorize': 'oauth:authorize',
  '/token': 'oauth:token',
  '/revoke': 'oauth:revoke',
};
const GRANT_TYPES = new Set(['authorization_code', 'refresh_token', 'client_credentials']);
const CLIENT_ID_RE = /^[A-Za-z0-9:._-]{1,100}$/;
const ERROR_RE = /^[a-z_]{1,40}$/;

function hostOf(url: string | null | undefined): string | null {
  try {
    return url ? new URL(url).hostname : null;
  } catch {
    return null;
  }
}

/** Which logged interface a path belongs to, or null for the parts that are not HDDT interfaces (pages). */
export function classifier(config: GatewayConfig): (path: string) => Target | null {
  const fhir = fhirSettings(config);
  // the issuer is read per request (tests set it once the port is known), parsed once per value
  let hosts = { issuer: '', as: null as string | null, fhir: null as string | null };
  const current = () => {
    if (hosts.issuer !== config.server.issuer) {
      const as = hostOf(config.server.issuer);
      hosts = { issuer: config.server.issuer, as, fhir: hostOf(fhir.publicBaseUrl) ?? as };
    }
    return hosts;
  };
  return (path) => {
    const oauth = OAUTH_PATHS[path];
    if (oauth) return { interfaceId: oauth, partnerId: current().as, fhir: false };
    if (path === fhir.base || path.startsWith(`${fhir.base}/`))
      return { interfaceId: 'fhir', partnerId: current().fhir, fhir: true };
    return null;
  };
}

const stringField = (o: unknown, k: string): string | undefined => {
  const v = (o as Record<string, unknown> | null | undefined)?.[k];
  return typeof v === 'string' ? v : undefined;
};

function bodyFacts(interfaceId: string, req: FastifyRequest, status: number, payload: unknown): BodyFacts {
  if (typeof payload !== 'string' || !payload.startsWith('{')) return {};
  const tokenOk = interfaceId === 'oauth:token' && status === 200;
  if (!tokenOk && status < 400) return {};
  let body: unknown;
  try {
    body = JSON.parse(payload);
  } catch {
    return {};
  }
  if (tokenOk) {
    const grant = stringField(req.body, 'grant_type');
    const sub = stringField(body, 'sub');
    return grant !== 'client_credentials' && sub && sub.length <= 128 ? { pairingId: sub } : {};
  }
  const error = stringField(body, 'error');
  if (!error || !ERROR_RE.test(error)) return {};
  return { error, errorDescription: stringField(body, 'error_description')?.slice(0, 200) };
}

function clientIdOf(req: FastifyRequest, fhir: FhirFacts | undefined): string | null {
  const id =
    fhir?.access?.clientId ?? stringField(req.body, 'client_id') ?? stringField(req.query, 'client_id');
  return id !== undefined && CLIENT_ID_RE.test(id) ? id : null;
}

const addressOf = (req: FastifyRequest) => addressPrefix(req.ip);

function configuredLog(services: ServerServices, settings: RequestLogSettings): RequestLog | null {
  const { config, clock, logger } = services;
  if (!settings.enabled) return null;
  return new RequestLog({
    dir: dataPath(config, settings.dir),
    store: services.store,
    retentionDays: settings.retentionDays,
    maxTotalBytes: settings.maxTotalBytes,
    maxQueuedLines: settings.maxQueuedLines,
    now: () => clock.now(),
    onAlarm: (a: RequestLogAlarm) =>
      a.active ? logger.error({ alarm: a.reason }, a.message) : logger.info({ alarm: a.reason }, a.message),
    onDrop: (reason) => gatewayMetrics.requestLogDropped.inc({ reason }),
  });
}

/** The line of one request that is logged on its own (it presented a client certificate, it was not 429). */
function detailLine(
  req: FastifyRequest,
  reply: FastifyReply,
  target: Target,
  fhir: FhirFacts | undefined,
  body: BodyFacts,
  timestamp: string,
): RequestLogFields {
  const interfaceId = fhir?.interfaceId ?? target.interfaceId;
  const status = reply.statusCode;
  const grant = interfaceId === 'oauth:token' ? stringField(req.body, 'grant_type') : undefined;
  const eventType = fhir?.eventType ?? (target.fhir ? 'Transfer' : oauthEvent(interfaceId));
  return {
    timestamp,
    transaction_id: req.id,
    pairing_id: fhir?.access?.pairingId ?? body.pairingId ?? null,
    partner_id: target.partnerId,
    client_id: clientIdOf(req, fhir),
    interface_id: interfaceId,
    event_type: status === 401 ? 'Connection' : eventType,
    status,
    error_code: fhir?.errorCode ?? body.error ?? null,
    error_description: fhir?.errorDescription ?? body.errorDescription ?? null,
    response_time_ms: responseMs(reply),
    data_volume_bytes: bytesOf(reply),
    message:
      fhir?.message ??
      `${req.method} ${interfaceId}${grant && GRANT_TYPES.has(grant) ? ` grant_type=${grant}` : ''}`,
  };
}

const responseMs = (reply: FastifyReply) => Math.round(reply.elapsedTime * 100) / 100;

function bytesOf(reply: FastifyReply): number {
  const length = Number(reply.getHeader('content-length') ?? 0);
  return Number.isFinite(length) ? length : 0;
}

const plugin: FastifyPluginAsync<RequestLogPluginOptions> = async (app: FastifyInstance, opts) => {
  const { services } = opts;
  const settings = requestLogSettings(services.config);
  const log = opts.log !== undefined ? opts.log : configuredLog(services, settings);
  if (!log) return;
  const { clock } = services;
  const classify = classifier(services.config);
  const floods = new FloodAggregator({
    maxAddresses: settings.aggregateMaxAddresses,
    now: () => clock.now(),
    emit: (fields) => log.append(fields),
  });
  const bodies = new WeakMap<FastifyRequest, BodyFacts>();
  const timer = setInterval(() => {
    floods.flush();
    log.tick();
  }, 1000);
  timer.unref();

  app.addHook('onSend', async (req, reply, payload) => {
    const target = classify(req.url.split('?')[0]!);
    if (target && !target.fhir)
      bodies.set(req, bodyFacts(target.interfaceId, req, reply.statusCode, payload));
    return payload;
  });

  app.addHook('onResponse', async (req: FastifyRequest, reply: FastifyReply) => {
    const target = classify(req.url.split('?')[0]!);
    if (!target) return;
    const fhir = target.fhir
      ? ((req as unknown as { fhir?: FhirFacts | null }).fhir ?? undefined)
      : undefined;
    const status = reply.statusCode;
    const hasCertificate = peerCertificate(req.raw.socket) !== undefined;
    const kind = status === 429 ? 'throttled' : hasCertificate ? null : 'unauthenticated';
    if (!kind) {
      log.append(detailLine(req, reply, target, fhir, bodies.get(req) ?? {}, clock.now().toISOString()));
      return;
    }
    floods.add({
      kind,
      address: addressOf(req),
      interfaceId: fhir?.interfaceId ?? target.interfaceId,
      partnerId: target.partnerId,
      status,
      bytes: bytesOf(reply),
      responseMs: responseMs(reply),
    });
  });

  app.addHook('onClose', async () => {
    clearInterval(timer);
    floods.flush(true);
    if (opts.log === undefined) log.close();
    else log.flush();
  });
};

function oauthEvent(interfaceId: string): EventType {
  return interfaceId === 'oauth:metadata' ? 'Heartbeat' : 'Connection';
}

// Not encapsulated (like fastify-plugin): the hooks see every route of the app that registers it.
(plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;

/** `await app.register(requestLogPlugin, { services })` in server/app.ts, before the rate limit and routes. */
export const requestLogPlugin = plugin;
