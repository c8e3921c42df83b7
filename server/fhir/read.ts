// read and vread of one resource type, with ETag W/"version" and Last-Modified (If-None-Match → 304).
// Every type serves vread: Device and DeviceMetric keep each version (a calibration change is a version a DiGA
// must be able to read, HDDT); an Observation's earlier versions are not kept, so its vread serves the current
// version only, as R4 encourages for servers without history (a CGM chunk gets a version per new sample).
// An id or version that cannot exist (the params schema) is a resource that is not known: 404, not 400.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { readVisible, readVisibleVersion, type SearchType } from '../../gateway/store/fhir-search.ts';
import { accessOf } from './guard.ts';
import { notFound } from './outcome.ts';
import { sendResource } from './respond.ts';
import type { ReadHeaders } from './schemas.ts';

export interface ReadRoute {
  Params: { id: string };
  Headers: ReadHeaders;
}
export interface VreadRoute {
  Params: { id: string; vid: string };
  Headers: ReadHeaders;
}

/** Whether the path's id (and version) are well-formed; other invalid input is the 400 it was attached as. */
function paramsValid(req: FastifyRequest): boolean {
  const err = req.validationError as (Error & { validationContext?: string }) | undefined;
  if (!err) return true;
  if (err.validationContext === 'params') return false;
  throw err;
}

/** The scope the request's token grants for `type`; undefined when the token does not cover the type. */
function scopeFor(req: FastifyRequest, type: SearchType) {
  const { fhir, access, scope } = accessOf(req);
  return fhir.typeAllowed(type, access) ? scope : undefined;
}

function sendVersioned(
  req: FastifyRequest<{ Headers: ReadHeaders }>,
  reply: FastifyReply,
  row: { json: string; version: number; last_updated_ms: number },
) {
  const etag = `W/"${row.version}"`;
  reply.header('etag', etag).header('last-modified', new Date(row.last_updated_ms).toUTCString());
  if (req.headers['if-none-match'] === etag) return reply.code(304).send();
  return sendResource(reply, 200, row.json);
}

export function readHandler(type: SearchType) {
  return async (req: FastifyRequest<ReadRoute>, reply: FastifyReply) => {
    req.fhir.interfaceId = `fhir:${type}:read`;
    const { id } = req.params;
    const scope = scopeFor(req, type);
    const row =
      paramsValid(req) && scope ? readVisible(req.server.services.store, type, id, scope) : undefined;
    if (!row) throw notFound(`Resource ${type}/${id.slice(0, 64)} is not known`);
    return sendVersioned(req, reply, row);
  };
}

export function vreadHandler(type: SearchType) {
  return async (req: FastifyRequest<VreadRoute>, reply: FastifyReply) => {
    req.fhir.interfaceId = `fhir:${type}:vread`;
    const { store } = req.server.services;
    const { id, vid } = req.params;
    const scope = scopeFor(req, type);
    const known = paramsValid(req) && scope !== undefined;
    const row = known ? readVisibleVersion(store, type, id, Number(vid), scope) : undefined;
    if (row) return sendVersioned(req, reply, row);
    const what = `Version ${vid.slice(0, 12)} of resource ${type}/${id.slice(0, 64)}`;
    // The store keeps no earlier Observation versions: say so rather than leave the DiGA guessing.
    const current = known ? readVisible(store, type, id, scope) : undefined;
    if (current && Number(vid) < current.version) {
      throw notFound(
        `${what} is not known: earlier versions of this ${type} are not kept; the current version is ${current.version}`,
      );
    }
    throw notFound(`${what} is not known`);
  };
}
