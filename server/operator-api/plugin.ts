// The operator API for a manufacturer's backend (system clients, client_credentials over mTLS), mounted on the
// HTTPS server under its own prefix (default /operator-api): devices, device assignments (read, assign,
// unassign), pairings per DiGA as counts, and the MQTT outbox backlog. No patient-identifying data: patients
// appear only as the pseudonymous sync handle that assignments carry upward anyway. See docs/operator-api.md.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { pairingCountsByClient } from '../../gateway/store/oauth-grants.ts';
import { devicesWithAssignment, getAssignment, listAssignments } from '../../gateway/store/operator-api.ts';
import { outboxStats } from '../../gateway/store/outbox.ts';
import {
  assignDevice,
  getPatientByUsername,
  listPatients,
  unassignDevice,
  type PatientRow,
} from '../../gateway/store/patients.ts';
import { patientHandle } from '../../gateway/sync/outbox-writer.ts';
import type { ServerServices } from '../services.ts';
import { USERNAME_PATTERN } from '../pages/accounts.ts';
import { OperatorApiError, requireScope, verifySystemAccess, type SystemAccess } from './auth.ts';
import type { OperatorScope } from './scopes.ts';
import { operatorApiSettings } from './settings.ts';

export interface OperatorApiRoutesOptions {
  services: ServerServices;
}

declare module 'fastify' {
  interface FastifyRequest {
    systemAccess: SystemAccess | null;
  }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const DEVICE_KEY = '^[\\x21-\\x7e]{1,200}$';
const HANDLE = '^[0-9a-f]{32}$';

const errorBody = {
  type: 'object',
  properties: { error: { type: 'string' }, error_description: { type: 'string' } },
};

const assignmentSchema = {
  type: 'object',
  required: ['device', 'patient', 'assignedAt'],
  properties: {
    device: { type: 'string' },
    patient: { type: 'string', description: 'pseudonymous sync handle of the patient' },
    assignedAt: { type: 'string' },
  },
};

/** Registers the operator API under the configured prefix. */
export async function operatorApiRoutes(app: FastifyInstance, opts: OperatorApiRoutesOptions): Promise<void> {
  const { prefix } = operatorApiSettings(opts.services.config);
  await app.register(operatorApi, { ...opts, prefix });
}

async function operatorApi(app: FastifyInstance, opts: OperatorApiRoutesOptions): Promise<void> {
  const { services } = opts;
  const { store, logger } = services;

  app.decorateRequest('systemAccess', null);

  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('cache-control', 'no-store');
    return payload;
  });

  const sendError = (reply: FastifyReply, err: OperatorApiError) => {
    if (err.status === 401) {
      reply.header('www-authenticate', `Bearer realm="operator-api", error="invalid_token"`);
    } else if (err.status === 403) {
      reply.header('www-authenticate', `Bearer realm="operator-api", error="insufficient_scope"`);
    }
    return reply.code(err.status).send({ error: err.error, error_description: err.message });
  };

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, req, reply) => {
    if (err instanceof OperatorApiError) return sendError(reply, err);
    if (err.statusCode === 429) return reply.send(err);
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return sendError(reply, new OperatorApiError(err.statusCode, 'invalid_request', err.message));
    }
    req.log.error({ err }, 'operator API request failed');
    return sendError(reply, new OperatorApiError(500, 'server_error', 'Internal error'));
  });

  app.setNotFoundHandler(async (_req, reply) =>
    sendError(reply, new OperatorApiError(404, 'not_found', 'No such operator API endpoint')),
  );

  /** mTLS + system client token + the route's scope; a failed check is logged without the token. */
  const guard = (scope: OperatorScope) => async (req: FastifyRequest) => {
    try {
      req.systemAccess = await verifySystemAccess(services, req);
      requireScope(req.systemAccess, scope);
    } catch (err) {
      if (err instanceof OperatorApiError) {
        logger.warn(
          {
            event: 'operator_api_denied',
            client_id: req.systemAccess?.clientId,
            path: req.routeOptions.url,
            error: err.error,
          },
          'operator API access denied',
        );
      }
      throw err;
    }
  };

  app.get(
    '/devices',
    {
      preHandler: guard('operator/devices.read'),
      schema: {
        response: {
          200: {
            type: 'object',
            properties: {
              devices: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    key: { type: 'string' },
                    transport: { type: 'string' },
                    kind: { type: 'string' },
                    manufacturer: { type: ['string', 'null'] },
                    model: { type: ['string', 'null'] },
                    serialNumber: { type: ['string', 'null'] },
                    name: { type: ['string', 'null'] },
                    firstSeen: { type: 'string' },
                    lastSeen: { type: 'string' },
                    assigned: { type: 'boolean' },
                  },
                },
              },
            },
          },
        },
      },
    },
    async () => ({
      devices: devicesWithAssignment(store).map((d) => ({
        key: d.key,
        transport: d.transport,
        kind: d.kind,
        manufacturer: d.manufacturer,
        model: d.model,
        serialNumber: d.serial_number,
        name: d.name,
        firstSeen: iso(d.first_seen_ms),
        lastSeen: iso(d.last_seen_ms),
        assigned: d.assigned === 1,
      })),
    }),
  );

  app.get(
    '/assignments',
    {
      preHandler: guard('operator/assignments.read'),
      schema: {
        response: {
          200: { type: 'object', properties: { assignments: { type: 'array', items: assignmentSchema } } },
        },
      },
    },
    async () => ({
      assignments: listAssignments(store).map((a) => ({
        device: a.device_key,
        patient: patientHandle(store, a.patient_id),
        assignedAt: iso(a.assigned_ms),
      })),
    }),
  );

  /** The patient an assignment names: by sync handle or by account name; removed accounts are unknown. */
  const patientFor = (body: { patient?: string; username?: string }): PatientRow => {
    let p: PatientRow | undefined;
    if (body.username !== undefined) p = getPatientByUsername(store, body.username);
    else p = listPatients(store).find((x) => patientHandle(store, x.id) === body.patient);
    if (!p || p.removed_ms !== null) {
      throw new OperatorApiError(404, 'unknown_patient', 'No such patient');
    }
    return p;
  };

  app.put<{ Params: { device: string }; Body: { patient?: string; username?: string } }>(
    '/assignments/:device',
    {
      preHandler: guard('operator/assignments.write'),
      schema: {
        params: {
          type: 'object',
          required: ['device'],
          properties: { device: { type: 'string', pattern: DEVICE_KEY } },
        },
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          maxProperties: 1,
          properties: {
            patient: { type: 'string', pattern: HANDLE },
            username: { type: 'string', pattern: USERNAME_PATTERN.source },
          },
        },
        response: { 200: assignmentSchema, 404: errorBody },
      },
    },
    async (req) => {
      const patient = patientFor(req.body);
      const nowMs = services.clock.now().getTime();
      assignDevice(store, req.params.device, patient.id, nowMs);
      logger.info(
        { event: 'device_assigned', client_id: req.systemAccess!.clientId, device: req.params.device },
        'device assigned through the operator API',
      );
      return { device: req.params.device, patient: patientHandle(store, patient.id), assignedAt: iso(nowMs) };
    },
  );

  app.delete<{ Params: { device: string } }>(
    '/assignments/:device',
    {
      preHandler: guard('operator/assignments.write'),
      schema: {
        params: {
          type: 'object',
          required: ['device'],
          properties: { device: { type: 'string', pattern: DEVICE_KEY } },
        },
      },
    },
    async (req, reply) => {
      if (!getAssignment(store, req.params.device)) {
        throw new OperatorApiError(404, 'not_found', 'The device is not assigned');
      }
      unassignDevice(store, req.params.device, services.clock.now().getTime());
      logger.info(
        { event: 'device_unassigned', client_id: req.systemAccess!.clientId, device: req.params.device },
        'device unassigned through the operator API',
      );
      return reply.code(204).send();
    },
  );

  app.get('/pairings', { preHandler: guard('operator/pairings.read') }, async () => {
    const nowMs = services.clock.now().getTime();
    const directory = new Map<string, { name: string; status: string }>();
    try {
      for (const e of await services.directory.entries()) directory.set(e.clientId, e);
    } catch {
      // Directory unreachable: counts without names.
    }
    const clients = new Map<
      string,
      {
        clientId: string;
        name: string | null;
        directoryStatus: string;
        active: number;
        ended: Record<string, number>;
      }
    >();
    for (const r of pairingCountsByClient(store, nowMs)) {
      let c = clients.get(r.client_id);
      if (!c) {
        const e = directory.get(r.client_id);
        c = {
          clientId: r.client_id,
          name: e?.name ?? null,
          directoryStatus: directory.size === 0 ? 'unknown' : (e?.status ?? 'unlisted'),
          active: 0,
          ended: {},
        };
        clients.set(r.client_id, c);
      }
      c.active += r.active;
      if (r.expired_unswept > 0) c.ended.consent_expired = (c.ended.consent_expired ?? 0) + r.expired_unswept;
      if (r.ended > 0) {
        const reason = r.revoked_reason ?? 'unknown';
        c.ended[reason] = (c.ended[reason] ?? 0) + r.ended;
      }
    }
    const list = [...clients.values()];
    const sum = (f: (c: (typeof list)[number]) => number) => list.reduce((n, c) => n + f(c), 0);
    return {
      clients: list,
      total: {
        active: sum((c) => c.active),
        ended: sum((c) => Object.values(c.ended).reduce((n, x) => n + x, 0)),
      },
    };
  });

  app.get('/outbox', { preHandler: guard('operator/outbox.read') }, async () => {
    const s = outboxStats(store);
    const nowMs = services.clock.now().getTime();
    return {
      depth: s.entries,
      unsent: s.unsent,
      oldestCreatedAt: iso(s.oldestCreatedMs),
      oldestAgeSeconds:
        s.oldestCreatedMs === null ? null : Math.max(0, Math.round((nowMs - s.oldestCreatedMs) / 1000)),
      lastSeq: s.lastSeq,
    };
  });
}
