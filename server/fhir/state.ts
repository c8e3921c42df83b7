// What the FHIR API records on each request (`req.fhir`): the negotiated format, the interface and event type,
// the access context once the PEP allowed, the error and a message. server/audit/request-log-plugin.ts writes
// the request log line from it.
import type { FastifyRequest } from 'fastify';
import type { RequestLogFields } from '../audit/request-log.ts';
import type { AccessContext } from '../oauth/access.ts';
import { negotiate, type Format } from './format.ts';
import { queryPairs } from './search-body.ts';
import { inMaintenance } from './outcome.ts';
import { maintenanceMessage } from '../service/maintenance-board.ts';

export interface FhirRequestState {
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

/** onRequest: the state first (so even an unacceptable Accept is logged), then content negotiation (406). */
export async function startFhirRequest(req: FastifyRequest): Promise<void> {
  req.fhir = {
    startNs: process.hrtime.bigint(),
    format: 'json',
    interfaceId: 'fhir',
    eventType: 'Transfer',
  };
  const formatParam = queryPairs(req.url).find(([k]) => k === '_format')?.[1];
  req.fhir.format = negotiate(req.headers.accept, formatParam);
}

/** Refuses every FHIR request while a maintenance window covering the API is in progress. */
export async function refuseDuringMaintenance(req: FastifyRequest): Promise<void> {
  const { maintenance } = req.server.services;
  const w = maintenance.active('fhir');
  if (w) {
    req.fhir.interfaceId = 'fhir:maintenance';
    throw inMaintenance(maintenance.retryAfterSeconds(w), maintenanceMessage(w));
  }
}
