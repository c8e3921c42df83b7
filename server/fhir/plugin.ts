// The HDDT FHIR resource server as a fastify plugin under the configured base (default /fhir):
// /metadata (public), read/vread/search (GET and POST _search) of Observation, Device, DeviceMetric, and
// POST /Observation/$hddt-cgm-summary. Every other request goes PEP → PDP → rate limits (guard.ts) → schema
// → handler; every error is an OperationOutcome (never 403: 401 invalid_token, 404, or 405 for a wrong
// method; respond.ts); JSON or XML; gzip/br; server/audit/request-log-plugin.ts writes the request log from
// `req.fhir` (state.ts). Absolute URLs come from the configured base (fhirBaseUrl), never from a header.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SearchType } from '../../gateway/store/fhir-search.ts';
import { compressResponse } from './compress.ts';
import { fhirGuard } from './guard.ts';
import { refuseOtherMethods } from './methods.ts';
import { readHandler, vreadHandler, type ReadRoute, type VreadRoute } from './read.ts';
import { fhirErrorHandler, fhirNotFound, sendResource } from './respond.ts';
import { SCHEMAS } from './schemas.ts';
import { searchGet, searchPost } from './search-route.ts';
import { FhirService } from './service.ts';
import { fhirSettings } from '../shared/fhir-settings.ts';
import { refuseDuringMaintenance, startFhirRequest, type FhirRequestState } from './state.ts';
import { cgmSummaryHandler } from './summary-route.ts';

const TYPES: SearchType[] = ['Observation', 'Device', 'DeviceMetric'];

/** A body as the catch-all content type parser leaves it: raw bytes, parsed by the handler. */
interface BodyRoute {
  Body: Buffer | undefined;
}

/** Registers the FHIR API under the configured base path. */
export async function fhirRoutes(app: FastifyInstance): Promise<void> {
  await app.register(fhirApi, { prefix: fhirSettings(app.services.config).base });
}

async function metadata(req: FastifyRequest, reply: FastifyReply) {
  req.fhir.interfaceId = 'fhir:metadata';
  req.fhir.eventType = 'Heartbeat';
  return sendResource(reply, 200, req.server.fhirService.capabilityStatement());
}

async function fhirApi(app: FastifyInstance): Promise<void> {
  app.decorate('fhirService', new FhirService(app.services));
  app.decorateRequest('fhir', null as unknown as FhirRequestState);
  // Bodies are parsed by the handlers (form, JSON, XML), so they can answer 415 as an OperationOutcome.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.addHook('onRequest', startFhirRequest);
  app.addHook('onRequest', refuseDuringMaintenance);
  app.addHook('onSend', compressResponse);
  app.setErrorHandler(fhirErrorHandler);
  app.setNotFoundHandler(fhirNotFound);

  app.get('/metadata', { schema: SCHEMAS.metadata }, metadata);
  refuseOtherMethods(app, '/metadata', 'metadata', ['GET']);

  const guard = fhirGuard;
  // attachValidation: read.ts answers a malformed id or version as the unknown resource it is (404)
  const read = { preValidation: guard, attachValidation: true };
  for (const type of TYPES) {
    app.get(`/${type}`, { preValidation: guard, schema: SCHEMAS.search }, searchGet(type));
    app.post<BodyRoute>(
      `/${type}/_search`,
      { preValidation: guard, schema: SCHEMAS.searchPost },
      searchPost(type),
    );
    app.get<ReadRoute>(`/${type}/:id`, { ...read, schema: SCHEMAS.read }, readHandler(type));
    app.get<VreadRoute>(`/${type}/:id/_history/:vid`, { ...read, schema: SCHEMAS.vread }, vreadHandler(type));
    refuseOtherMethods(app, `/${type}`, type, ['GET'], guard);
    refuseOtherMethods(app, `/${type}/_search`, `${type}/_search`, ['POST'], guard);
    refuseOtherMethods(app, `/${type}/:id`, `${type}/{id}`, ['GET'], guard);
    refuseOtherMethods(app, `/${type}/:id/_history/:vid`, `${type}/{id}/_history/{vid}`, ['GET'], guard);
  }

  const summary = '/Observation/$hddt-cgm-summary';
  app.post<BodyRoute>(summary, { preValidation: guard, schema: SCHEMAS.summary }, cgmSummaryHandler);
  refuseOtherMethods(app, summary, 'Observation/$hddt-cgm-summary', ['POST'], guard);
}
