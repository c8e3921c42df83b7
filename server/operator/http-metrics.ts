// The hook that feeds the HTTP and token metrics from the DiGA-facing fastify app (server/app.ts registers it
// with one line). Labels are route patterns (`/fhir/Observation/:id`), never URLs: no ids, no query strings.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { gatewayMetrics, type GatewayMetrics } from './metrics.ts';
import { operatorProbes, type OperatorProbes } from './probes.ts';

export interface HttpMetricsOptions {
  metrics?: GatewayMetrics;
  probes?: OperatorProbes;
}

const GRANT_TYPES = new Set(['authorization_code', 'refresh_token', 'client_credentials']);
const ERROR_CODE = /^[a-z_]{1,40}$/;

function grantType(body: unknown): string {
  const g = (body as { grant_type?: unknown } | null | undefined)?.grant_type;
  return typeof g === 'string' && GRANT_TYPES.has(g) ? g : 'other';
}

function oauthError(payload: unknown): string {
  if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return 'unknown';
  try {
    const e = (JSON.parse(payload.toString()) as { error?: unknown }).error;
    return typeof e === 'string' && ERROR_CODE.test(e) ? e : 'unknown';
  } catch {
    return 'unknown';
  }
}

const plugin: FastifyPluginAsync<HttpMetricsOptions> = async (app: FastifyInstance, opts) => {
  const metrics = opts.metrics ?? gatewayMetrics;
  const probes = opts.probes ?? operatorProbes;

  app.addHook('onSend', async (request, reply, payload) => {
    if (request.method === 'POST' && request.routeOptions.url?.endsWith('/token')) {
      const grant = grantType(request.body);
      if (reply.statusCode < 400) metrics.tokenGrants.inc({ grant_type: grant });
      else metrics.tokenErrors.inc({ grant_type: grant, error: oauthError(payload) });
    }
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? '(unmatched)';
    const labels = { route, method: request.method, status: String(reply.statusCode) };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
    if (reply.statusCode >= 500) {
      probes.events.push({
        atMs: Date.now(),
        level: 'error',
        component: 'server',
        message: `${request.method} ${route} answered ${reply.statusCode}`,
      });
    }
  });

  app.addHook('onReady', async () => {
    probes.started.add('server');
  });
  app.addHook('onClose', async () => {
    probes.started.delete('server');
  });
};

// Not encapsulated (like fastify-plugin): the hooks see every route of the app that registers it.
(plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;

/** `await app.register(httpMetrics)` in server/app.ts, before the routes. */
export const httpMetrics = plugin;
