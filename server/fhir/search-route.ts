// search-type for Observation, Device and DeviceMetric: GET [type]?… and POST [type]/_search (form or flat
// JSON body, plus the query). A token without the type's own scope (Device, DeviceMetric) searches an empty
// scope: a Bundle with no matches, never 403.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MIV_CODES } from '../../gateway/hddt/codes.ts';
import type { SearchType } from '../../gateway/store/fhir-search.ts';
import { accessOf } from './guard.ts';
import { sendResource } from './respond.ts';
import { runSearch } from './search.ts';
import { queryPairs, searchBodyPairs, type Pairs } from './search-body.ts';

function search(type: SearchType, req: FastifyRequest, reply: FastifyReply, params: Pairs) {
  const { fhir, access, nowMs, scope } = accessOf(req);
  req.fhir.interfaceId = `fhir:${type}:search-type`;
  const effectiveScope = fhir.typeAllowed(type, access) ? scope : { ...scope, groups: [] };
  const cutoffs = effectiveScope.groups.map((g) => g.minEffectiveEndMs);
  const result = runSearch(fhir.services.store, {
    type,
    params,
    scope: effectiveScope,
    ctx: {
      nowMs,
      defaultCount: fhir.settings.defaultCount,
      maxCount: fhir.settings.maxCount,
      mivs: access.mivs.filter((m) => effectiveScope.groups.some((g) => g.codes === MIV_CODES[m])),
      historicCutoffMs: cutoffs.length ? Math.min(...cutoffs) : nowMs,
    },
    baseUrl: fhir.baseUrl(),
    cursorSecret: fhir.cursorSecret,
    entries: fhir.entries,
  });
  req.fhir.message = `search ${type}: ${result.matches} matches, ${result.included} included`;
  return sendResource(reply, 200, result.body);
}

/** GET [type]: the parameters in query order (`+` stays `+`). */
export function searchGet(type: SearchType) {
  return async (req: FastifyRequest, reply: FastifyReply) => search(type, req, reply, queryPairs(req.url));
}

/** POST [type]/_search: the query's parameters, then the body's. */
export function searchPost(type: SearchType) {
  return async (req: FastifyRequest<{ Body: Buffer | undefined }>, reply: FastifyReply) =>
    search(type, req, reply, [
      ...queryPairs(req.url),
      ...searchBodyPairs(req.headers['content-type'], req.body),
    ]);
}
