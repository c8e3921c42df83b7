// read and vread of one resource type, with ETag W/"version" and Last-Modified (If-None-Match → 304).
// Every type serves vread: Device and DeviceMetric keep each version (a calibration change is a version a DiGA
// must be able to read, HDDT); an Observation's earlier versions are not kept, so its vread serves the current
// version only, as R4 encourages for servers without history (a CGM chunk gets a version per new sample).
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import {
  readVisible,
  readVisibleVersion,
  type SearchScope,
  type SearchType,
} from '../../gateway/store/fhir-search.ts';
import type { Store } from '../../gateway/store/store.ts';
import { notFound } from './outcome.ts';

const ID_RE = /^[A-Za-z0-9\-.]{1,64}$/;
const VID_RE = /^\d{1,9}$/;

export interface ReadDeps {
  store: Store;
  guard: preHandlerAsyncHookHandler;
  /** The scope the request's token grants for `type`; undefined when the token does not cover the type. */
  scopeFor(req: FastifyRequest, type: SearchType): SearchScope | undefined;
  send(reply: FastifyReply, status: number, body: string): FastifyReply;
}

export function readRoutes(app: FastifyInstance, type: SearchType, deps: ReadDeps): void {
  const { store, guard } = deps;
  const sendVersioned = (
    req: FastifyRequest,
    reply: FastifyReply,
    row: { json: string; version: number; last_updated_ms: number },
  ) => {
    const etag = `W/"${row.version}"`;
    reply.header('etag', etag).header('last-modified', new Date(row.last_updated_ms).toUTCString());
    if (req.headers['if-none-match'] === etag) return reply.code(304).send();
    return deps.send(reply, 200, row.json);
  };

  app.get<{ Params: { id: string } }>(`/${type}/:id`, { preHandler: guard }, async (req, reply) => {
    req.fhir.interfaceId = `fhir:${type}:read`;
    const { id } = req.params;
    const scope = deps.scopeFor(req, type);
    const row = ID_RE.test(id) && scope ? readVisible(store, type, id, scope) : undefined;
    if (!row) throw notFound(`Resource ${type}/${id.slice(0, 64)} is not known`);
    return sendVersioned(req, reply, row);
  });

  app.get<{ Params: { id: string; vid: string } }>(
    `/${type}/:id/_history/:vid`,
    { preHandler: guard },
    async (req, reply) => {
      req.fhir.interfaceId = `fhir:${type}:vread`;
      const { id, vid } = req.params;
      const scope = deps.scopeFor(req, type);
      const known = ID_RE.test(id) && VID_RE.test(vid) && scope !== undefined;
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
    },
  );
}
