// The HDDT FHIR resource server as a fastify plugin under the configured base (default /fhir):
// /metadata (public), read/vread/search (GET and POST _search) of Observation, Device, DeviceMetric, and
// POST /Observation/$hddt-cgm-summary. Every other request goes PEP → PDP → rate limits → handler; every
// error is an OperationOutcome (never 403: 401 invalid_token, 404, or 405 for a wrong method); JSON or XML;
// gzip/br; server/audit/request-log-plugin.ts writes the request log from `req.fhir`. Absolute URLs come
// from the configured base (fhirBaseUrl), never from a header.
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MIV_CODES } from '../../gateway/hddt/codes.ts';
import type { SearchScope, SearchType } from '../../gateway/store/fhir-search.ts';
import type { RequestLogFields } from '../audit/request-log.ts';
import type { AccessContext } from '../oauth/access.ts';
import { DEVICE_METRIC_SCOPE, DEVICE_SCOPE } from '../oauth/scopes.ts';
import { primaryViolation } from '../policy/pdp.ts';
import { enforce } from '../policy/pep.ts';
import { policyConfig } from '../policy/policy-config.ts';
import { RateLimiter } from '../policy/rate-limit.ts';
import type { ServerServices } from '../services.ts';
import { capabilityStatement } from './capability.ts';
import { cgmSummary, parseSummaryParameters, summaryError } from './cgm-summary.ts';
import { bodyFormat, fromXml, MIME, negotiate, serialize, type Format } from './format.ts';
import { refuseOtherMethods } from './methods.ts';
import { FhirError, invalidToken, notFound, throttled } from './outcome.ts';
import { readRoutes } from './read.ts';
import { runSearch } from './search.ts';
import { queryPairs, searchBodyPairs } from './search-body.ts';
import type { Miv } from './search-params.ts';
import { fhirBaseUrl, fhirSettings } from './settings.ts';

const TYPES: SearchType[] = ['Observation', 'Device', 'DeviceMetric'];
const DAY = 86_400_000;
const gzip = promisify(zlib.gzip);
const brotli = promisify(zlib.brotliCompress);

interface FhirRequestState {
  startNs: bigint;
  format: Format;
  interfaceId: string;
  eventType: RequestLogFields['event_type'];
  access?: AccessContext;
  errorCode?: string;
  errorDescription?: string;
  message?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    fhir: FhirRequestState;
  }
}

export interface FhirRoutesOptions {
  services: ServerServices;
}

/** The scope a token grants: its patient, and per granted MIV the codes and the historic period. */
export function scopeOf(access: AccessContext, services: ServerServices, nowMs: number): SearchScope {
  const offered = services.config.server.mivs ?? ['bloodGlucose', 'cgm'];
  const days = services.config.hddt.historicDataPeriodDays;
  return {
    patientId: access.patientId,
    groups: access.mivs
      .filter((m) => offered.includes(m))
      .map((m) => ({ codes: MIV_CODES[m], minEffectiveEndMs: nowMs - days[m] * DAY })),
  };
}

/** Registers the FHIR API under the configured base path. */
export async function fhirRoutes(app: FastifyInstance, opts: FhirRoutesOptions): Promise<void> {
  const settings = fhirSettings(opts.services.config);
  await app.register(fhirApi, { ...opts, prefix: settings.base });
}

async function fhirApi(app: FastifyInstance, opts: FhirRoutesOptions): Promise<void> {
  const { services } = opts;
  const { store, config, logger } = services;
  const settings = fhirSettings(config);
  const policy = policyConfig(config);
  // Read per request (not once): the issuer is configuration, and tests set it once the port is known.
  const baseUrl = () => fhirBaseUrl(config, settings);
  const cursorSecret = store.secret('fhir-cursor-secret', 32);
  const perClient = new RateLimiter(settings.rateLimit.perClient);
  const perPairing = new RateLimiter(settings.rateLimit.perPairing);
  // Reads dominate: map the database instead of copying pages through read() (per connection, harmless).
  try {
    store.db.pragma('mmap_size = 268435456');
  } catch {
    // an in-memory or read-only store keeps its defaults
  }
  const startedOn = new Date().toISOString().slice(0, 10);
  let capability: { baseUrl: string; statement: object } | undefined;
  const capabilityFor = (url: string): object => {
    if (capability?.baseUrl !== url) {
      const statement = capabilityStatement({
        baseUrl: url,
        mivs: (config.server.mivs ?? ['bloodGlucose', 'cgm']) as Miv[],
        maxCount: settings.maxCount,
        date: startedOn,
        softwareVersion: '0.1.0',
      });
      capability = { baseUrl: url, statement };
    }
    return capability.statement;
  };

  app.decorateRequest('fhir', null as unknown as FhirRequestState);
  // Bodies are parsed by the handlers (form, JSON, XML), so they can answer 415 as an OperationOutcome.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.addHook('onRequest', async (req) => {
    req.fhir = {
      startNs: process.hrtime.bigint(),
      format: 'json',
      interfaceId: 'fhir',
      eventType: 'Transfer',
    };
    const formatParam = queryPairs(req.url).find(([k]) => k === '_format')?.[1];
    req.fhir.format = negotiate(req.headers.accept, formatParam);
  });

  const send = (reply: FastifyReply, status: number, resource: object | string | Buffer) => {
    const format = reply.request.fhir?.format ?? 'json';
    return reply.code(status).type(MIME[format]).send(serialize(resource, format));
  };

  app.setErrorHandler(async (err: FastifyErrorLike, req, reply) => {
    let fhirErr: FhirError;
    if (err instanceof FhirError) fhirErr = err;
    else if (err.statusCode === 429) {
      const retry = Number(reply.getHeader('retry-after') ?? 1);
      fhirErr = throttled(retry, 'Too many requests');
    } else if (err.statusCode === 415) {
      fhirErr = new FhirError(415, { severity: 'error', code: 'not-supported', diagnostics: err.message });
    } else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      fhirErr = new FhirError(err.statusCode, {
        severity: 'error',
        code: 'invalid',
        diagnostics: err.message,
      });
    } else {
      logger.error({ err: { message: err.message, stack: err.stack } }, 'FHIR request failed');
      fhirErr = new FhirError(500, {
        severity: 'error',
        code: 'exception',
        diagnostics: 'Internal server error',
      });
    }
    if (req.fhir) {
      req.fhir.errorCode = fhirErr.errorCode;
      req.fhir.errorDescription = fhirErr.message;
    }
    reply.headers(fhirErr.headers);
    return send(reply, fhirErr.status, fhirErr.outcome());
  });

  app.setNotFoundHandler(async (req, reply) => {
    const path = req.url.split('?')[0].slice(settings.base.length);
    const err = notFound(`Resource ${path.slice(1, 120)} is not known`);
    req.fhir.errorCode = err.errorCode;
    req.fhir.errorDescription = err.message;
    return send(reply, 404, err.outcome());
  });

  app.addHook('onSend', async (req, reply, payload) => {
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
    const size = Buffer.byteLength(payload);
    if (size < settings.compressMinBytes || reply.getHeader('content-encoding')) return payload;
    const accept = String(req.headers['accept-encoding'] ?? '');
    reply.header('vary', 'Accept-Encoding');
    if (/\bbr\b/.test(accept)) {
      reply.header('content-encoding', 'br');
      reply.removeHeader('content-length');
      return brotli(payload, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } });
    }
    if (/\bgzip\b/.test(accept)) {
      reply.header('content-encoding', 'gzip');
      reply.removeHeader('content-length');
      return gzip(payload, { level: 5 });
    }
    return payload;
  });

  /** PEP → PDP, then the rate limits; leaves the access context on the request. */
  const guard = async (req: FastifyRequest) => {
    const { verdict, access } = await enforce(services, policy, req, logger);
    if (access) req.fhir.access = access;
    if (!verdict.allow) {
      const v = primaryViolation(verdict);
      throw invalidToken(v?.error_description ?? 'Access denied', v?.error ?? 'invalid_token');
    }
    const a = access!;
    const nowMs = services.clock.now().getTime();
    for (const [limiter, key, what] of [
      [perClient, `c:${a.clientId}`, 'client'],
      [perPairing, `p:${a.pairingId}`, 'pairing'],
    ] as const) {
      const d = limiter.hit(key, nowMs);
      if (!d.allowed) throw throttled(d.retryAfterSeconds, `Rate limit of this ${what} exceeded`);
    }
  };

  const context = (req: FastifyRequest) => {
    const access = req.fhir.access!;
    const nowMs = services.clock.now().getTime();
    const scope = scopeOf(access, services, nowMs);
    return { access, nowMs, scope };
  };

  /** Device/DeviceMetric need their own scope besides an MIV scope. */
  const typeAllowed = (type: SearchType, access: AccessContext) =>
    type === 'Observation' ||
    (type === 'Device' && access.scopes.includes(DEVICE_SCOPE)) ||
    (type === 'DeviceMetric' && access.scopes.includes(DEVICE_METRIC_SCOPE));

  app.get('/metadata', async (req, reply) => {
    req.fhir.interfaceId = 'fhir:metadata';
    req.fhir.eventType = 'Heartbeat';
    return send(reply, 200, capabilityFor(baseUrl()));
  });
  refuseOtherMethods(app, '/metadata', 'metadata', ['GET']);

  const search = (
    type: SearchType,
    req: FastifyRequest,
    reply: FastifyReply,
    params: Array<[string, string]>,
  ) => {
    const { access, nowMs, scope } = context(req);
    req.fhir.interfaceId = `fhir:${type}:search-type`;
    const effectiveScope = typeAllowed(type, access) ? scope : { ...scope, groups: [] };
    const cutoffs = effectiveScope.groups.map((g) => g.minEffectiveEndMs);
    const result = runSearch(store, {
      type,
      params,
      scope: effectiveScope,
      ctx: {
        nowMs,
        defaultCount: settings.defaultCount,
        maxCount: settings.maxCount,
        mivs: access.mivs.filter((m) => effectiveScope.groups.some((g) => g.codes === MIV_CODES[m])),
        historicCutoffMs: cutoffs.length ? Math.min(...cutoffs) : nowMs,
      },
      baseUrl: baseUrl(),
      cursorSecret,
    });
    req.fhir.message = `search ${type}: ${result.matches} matches, ${result.included} included`;
    return send(reply, 200, result.body);
  };

  const reads = {
    store,
    guard,
    scopeFor: (req: FastifyRequest, type: SearchType) =>
      typeAllowed(type, req.fhir.access!) ? context(req).scope : undefined,
    send,
  };
  for (const type of TYPES) {
    app.get(`/${type}`, { preHandler: guard }, async (req, reply) =>
      search(type, req, reply, queryPairs(req.url)),
    );
    app.post(`/${type}/_search`, { preHandler: guard }, async (req, reply) =>
      search(type, req, reply, [
        ...queryPairs(req.url),
        ...searchBodyPairs(req.headers['content-type'], req.body as Buffer | undefined),
      ]),
    );
    readRoutes(app, type, reads);
    refuseOtherMethods(app, `/${type}`, type, ['GET'], guard);
    refuseOtherMethods(app, `/${type}/_search`, `${type}/_search`, ['POST'], guard);
    refuseOtherMethods(app, `/${type}/:id`, `${type}/{id}`, ['GET'], guard);
    refuseOtherMethods(app, `/${type}/:id/_history/:vid`, `${type}/{id}/_history/{vid}`, ['GET'], guard);
  }

  app.post('/Observation/$hddt-cgm-summary', { preHandler: guard }, async (req, reply) => {
    const { access, nowMs, scope } = context(req);
    req.fhir.interfaceId = 'fhir:Observation:$hddt-cgm-summary';
    const cgm = scope.groups.find((g) => g.codes === MIV_CODES.cgm);
    if (!cgm) throw notFound('Operation $hddt-cgm-summary is not available for this authorization');
    const raw = req.body as Buffer | undefined;
    let body: unknown;
    if (raw && raw.length > 0) {
      const format = bodyFormat(req.headers['content-type'], ['json', 'xml']);
      try {
        body = format === 'xml' ? fromXml(raw.toString('utf8')) : JSON.parse(raw.toString('utf8'));
      } catch {
        throw summaryError('MSG_BAD_SYNTAX', 'The request is malformed.');
      }
    }
    const bundle = cgmSummary(
      {
        store,
        scope: { ...scope, groups: [cgm] },
        pairingId: access.pairingId,
        nowMs,
        historicCutoffMs: cgm.minEffectiveEndMs,
        baseUrl: baseUrl(),
      },
      parseSummaryParameters(body),
    );
    req.fhir.message = 'cgm summary computed';
    return send(reply, 200, bundle);
  });
  refuseOtherMethods(app, '/Observation/$hddt-cgm-summary', 'Observation/$hddt-cgm-summary', ['POST'], guard);
}

interface FastifyErrorLike {
  message: string;
  stack?: string;
  statusCode?: number;
}
