// How the FHIR API answers: a resource in the negotiated format (stored JSON text passes through as it is),
// and every error as an OperationOutcome with the status the error carries: FhirError as thrown, fastify's
// own 4xx (schema validation, body limits, 415) as `invalid`/`not-supported`, 429 as `throttled`, anything
// else a 500 whose cause is logged but never sent. Unknown paths are a 404 OperationOutcome.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MIME, serialize } from './format.ts';
import { FhirError, notFound, throttled } from './outcome.ts';

export function sendResource(reply: FastifyReply, status: number, resource: object | string | Buffer) {
  const format = reply.request.fhir?.format ?? 'json';
  return reply.code(status).type(MIME[format]).send(serialize(resource, format));
}

interface FastifyErrorLike {
  message: string;
  stack?: string;
  statusCode?: number;
}

function asFhirError(err: FastifyErrorLike, req: FastifyRequest, reply: FastifyReply): FhirError {
  if (err instanceof FhirError) return err;
  if (err.statusCode === 429)
    return throttled(Number(reply.getHeader('retry-after') ?? 1), 'Too many requests');
  if (err.statusCode === 415) {
    return new FhirError(415, { severity: 'error', code: 'not-supported', diagnostics: err.message });
  }
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return new FhirError(err.statusCode, { severity: 'error', code: 'invalid', diagnostics: err.message });
  }
  req.server.services.logger.error(
    { err: { message: err.message, stack: err.stack } },
    'FHIR request failed',
  );
  return new FhirError(500, { severity: 'error', code: 'exception', diagnostics: 'Internal server error' });
}

export async function fhirErrorHandler(err: FastifyErrorLike, req: FastifyRequest, reply: FastifyReply) {
  const fhirErr = asFhirError(err, req, reply);
  if (req.fhir) {
    req.fhir.errorCode = fhirErr.errorCode;
    req.fhir.errorDescription = fhirErr.message;
  }
  reply.headers(fhirErr.headers);
  return sendResource(reply, fhirErr.status, fhirErr.outcome());
}

export async function fhirNotFound(req: FastifyRequest, reply: FastifyReply) {
  const path = req.url.split('?')[0].slice(req.server.fhirService.settings.base.length);
  const err = notFound(`Resource ${path.slice(1, 120)} is not known`);
  req.fhir.errorCode = err.errorCode;
  req.fhir.errorDescription = err.message;
  return sendResource(reply, 404, err.outcome());
}
