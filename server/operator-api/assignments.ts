// Device assignments: GET /assignments (who has which device now), PUT and DELETE /assignments/:device, and
// GET /assignments/:device/periods (the device's history). Patients appear only as their sync handle.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AssignmentError, periodsOfDevice } from '../../gateway/store/assignments.ts';
import { getAssignment, listAssignments } from '../../gateway/store/operator-api.ts';
import {
  assignDevice,
  getPatientByUsername,
  listPatients,
  unassignDevice,
  type PatientRow,
} from '../../gateway/store/patients.ts';
import type { Store } from '../../gateway/store/store.ts';
import { patientHandle } from '../../gateway/sync/outbox-writer.ts';
import { USERNAME_PATTERN } from '../pages/accounts.ts';
import { OperatorApiError } from './auth.ts';
import type { OperatorApiContext } from './context.ts';
import { assignment, deviceParams, errorBody, HANDLE, iso, period } from './schemas.ts';

interface AssignBody {
  patient?: string;
  username?: string;
}

/** The patient an assignment names: by sync handle or by account name; removed accounts are unknown. */
function patientFor(store: Store, body: AssignBody): PatientRow {
  const p =
    body.username !== undefined
      ? getPatientByUsername(store, body.username)
      : listPatients(store).find((x) => patientHandle(store, x.id) === body.patient);
  if (!p || p.removed_ms !== null) throw new OperatorApiError(404, 'unknown_patient', 'No such patient');
  return p;
}

const LIST_SCHEMA = {
  response: { 200: { type: 'object', properties: { assignments: { type: 'array', items: assignment } } } },
};

const PERIODS_SCHEMA = {
  params: deviceParams,
  response: { 200: { type: 'object', properties: { periods: { type: 'array', items: period } } } },
};

const ASSIGN_SCHEMA = {
  params: deviceParams,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { preRegister: { type: 'boolean' } },
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
  response: { 200: assignment, 404: errorBody },
};

const UNASSIGN_SCHEMA = { params: deviceParams, response: { 404: errorBody } };

interface DeviceRoute {
  Params: { device: string };
}
interface AssignRoute extends DeviceRoute {
  Querystring: { preRegister?: boolean };
  Body: AssignBody;
}
type DeviceRequest = FastifyRequest<DeviceRoute>;
type AssignRequest = FastifyRequest<AssignRoute>;

/** PUT: assigns the device to the named patient from now on (a device never seen needs ?preRegister=true). */
function assign({ services }: OperatorApiContext) {
  const { store, logger } = services;
  return async (req: AssignRequest) => {
    const patient = patientFor(store, req.body);
    const nowMs = services.clock.now().getTime();
    try {
      assignDevice(store, req.params.device, patient.id, nowMs, {
        requireSeen: req.query.preRegister !== true,
      });
    } catch (err) {
      if (err instanceof AssignmentError && err.code === 'ERR_DEVICE_UNKNOWN')
        throw new OperatorApiError(
          404,
          'unknown_device',
          `${err.message} (?preRegister=true to assign it anyway)`,
        );
      throw err;
    }
    logger.info(
      { event: 'device_assigned', client_id: req.systemAccess!.clientId, device: req.params.device },
      'device assigned through the operator API',
    );
    return { device: req.params.device, patient: patientHandle(store, patient.id), assignedAt: iso(nowMs) };
  };
}

/** DELETE: ends the device's current assignment. */
function unassign({ services }: OperatorApiContext) {
  const { store, logger } = services;
  return async (req: DeviceRequest, reply: FastifyReply) => {
    if (!getAssignment(store, req.params.device)) {
      throw new OperatorApiError(404, 'not_found', 'The device is not assigned');
    }
    unassignDevice(store, req.params.device, services.clock.now().getTime());
    logger.info(
      { event: 'device_unassigned', client_id: req.systemAccess!.clientId, device: req.params.device },
      'device unassigned through the operator API',
    );
    return reply.code(204).send();
  };
}

export async function assignmentRoutes(app: FastifyInstance, ctx: OperatorApiContext): Promise<void> {
  const { store } = ctx.services;
  const read = ctx.guard('operator/assignments.read');
  const write = ctx.guard('operator/assignments.write');

  app.get('/assignments', { preHandler: read, schema: LIST_SCHEMA }, async () => ({
    assignments: listAssignments(store).map((a) => ({
      device: a.device_key,
      patient: patientHandle(store, a.patient_id),
      assignedAt: iso(a.assigned_ms),
    })),
  }));

  app.get<DeviceRoute>(
    '/assignments/:device/periods',
    { preHandler: read, schema: PERIODS_SCHEMA },
    async (req: DeviceRequest) => ({
      periods: periodsOfDevice(store, req.params.device).map((p) => ({
        patient: patientHandle(store, p.patient_id),
        from: p.from_ms === 0 ? null : iso(p.from_ms),
        until: iso(p.until_ms),
      })),
    }),
  );

  app.put<AssignRoute>('/assignments/:device', { preHandler: write, schema: ASSIGN_SCHEMA }, assign(ctx));
  app.delete<DeviceRoute>(
    '/assignments/:device',
    { preHandler: write, schema: UNASSIGN_SCHEMA },
    unassign(ctx),
  );
}
