// POST /Observation/$hddt-cgm-summary: the Parameters body (JSON or XML, may be empty) in, the summary Bundle
// out; only for a token that grants the CGM MIV (404 otherwise: the operation does not exist for it).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MIV_CODES } from '../../gateway/hddt/codes.ts';
import { cgmSummary, parseSummaryParameters, summaryError } from './cgm-summary.ts';
import { bodyFormat, fromXml } from './format.ts';
import { accessOf } from './guard.ts';
import { notFound } from './outcome.ts';
import { sendResource } from './respond.ts';

function parametersOf(req: FastifyRequest<{ Body: Buffer | undefined }>): unknown {
  const raw = req.body;
  if (!raw || raw.length === 0) return undefined;
  const format = bodyFormat(req.headers['content-type'], ['json', 'xml']);
  try {
    return format === 'xml' ? fromXml(raw.toString('utf8')) : JSON.parse(raw.toString('utf8'));
  } catch {
    throw summaryError('MSG_BAD_SYNTAX', 'The request is malformed.');
  }
}

export async function cgmSummaryHandler(
  req: FastifyRequest<{ Body: Buffer | undefined }>,
  reply: FastifyReply,
) {
  const { fhir, access, nowMs, scope } = accessOf(req);
  req.fhir.interfaceId = 'fhir:Observation:$hddt-cgm-summary';
  const cgm = scope.groups.find((g) => g.codes === MIV_CODES.cgm);
  if (!cgm) throw notFound('Operation $hddt-cgm-summary is not available for this authorization');
  const body = parametersOf(req);
  const bundle = cgmSummary(
    {
      store: fhir.services.store,
      scope: { ...scope, groups: [cgm] },
      pairingId: access.pairingId,
      nowMs,
      historicCutoffMs: cgm.minEffectiveEndMs,
      baseUrl: fhir.baseUrl(),
    },
    parseSummaryParameters(body),
  );
  req.fhir.message = 'cgm summary computed';
  return sendResource(reply, 200, bundle);
}
