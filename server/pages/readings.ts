// The logged-in patient's readings page (last 24 h and 14 days, AGP, summary metrics; one device or all) and
// devices page (which devices are theirs, since when and until when). Without a logged-in session both send
// the browser to the login form; a device that was never the patient's is the 404 error page.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ShownUnit } from './charts/svg-parts.ts';
import { authenticated, nowMs, sendHtml, toLogin } from './flow.ts';
import { uiOf } from '../shared/i18n.ts';
import { patientDevices, readingsData } from './readings-data.ts';
import { deviceNotFoundView, devicesView, readingsView } from './readings-view.ts';

export interface ReadingsQuery {
  device?: string;
  unit?: 'mgdl' | 'mmoll';
}

export const READINGS_SCHEMA = {
  querystring: {
    type: 'object',
    properties: {
      device: { type: 'string', minLength: 1, maxLength: 200 },
      unit: { type: 'string', enum: ['mgdl', 'mmoll'] },
    },
    additionalProperties: false,
  },
} as const;

const UNITS: Record<NonNullable<ReadingsQuery['unit']>, ShownUnit> = { mgdl: 'mg/dL', mmoll: 'mmol/L' };

export async function readingsPage(req: FastifyRequest<{ Querystring: ReadingsQuery }>, reply: FastifyReply) {
  const session = authenticated(req);
  if (!session) return toLogin(reply);
  const { store, config } = req.server.services;
  const patientId = session.patient_id!;
  const devices = patientDevices(store, patientId);
  const deviceKey = req.query.device;
  if (deviceKey !== undefined && !devices.some((d) => d.key === deviceKey)) {
    return sendHtml(reply, 404, deviceNotFoundView(uiOf(req), reply.generateCsrf()));
  }
  const timeZone = config.timezone;
  const data = readingsData({ store, patientId, nowMs: nowMs(req), timeZone, deviceKey });
  const unit = UNITS[req.query.unit ?? 'mgdl'];
  return sendHtml(
    reply,
    200,
    readingsView({ ui: uiOf(req), csrf: reply.generateCsrf(), data, devices, deviceKey, unit, timeZone }),
  );
}

export async function devicesPage(req: FastifyRequest, reply: FastifyReply) {
  const session = authenticated(req);
  if (!session) return toLogin(reply);
  const { store, config } = req.server.services;
  const devices = patientDevices(store, session.patient_id!);
  return sendHtml(reply, 200, devicesView(uiOf(req), reply.generateCsrf(), devices, config.timezone));
}
