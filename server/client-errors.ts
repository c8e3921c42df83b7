// Answers for requests that fail before any route sees them: a URL that does not decode (invalid UTF-8
// percent-escapes) or an over-long path parameter (fastify's frameworkErrors), and requests node's parser
// refuses — oversized headers, raw invalid bytes, slow clients (clientError). FHIR paths get an
// OperationOutcome and the OAuth endpoints an RFC 6749 error, as their own error handlers would answer;
// everything else keeps fastify's default. The connection stays usable for other clients in every case.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { operationOutcome } from './fhir/outcome.ts';

type Area = 'fhir' | 'oauth' | 'other';

const OAUTH_PATHS = new Set(['/par', '/token', '/revoke']);

export function areaOf(url: string, fhirBase: string): Area {
  const path = url.split('?')[0]!;
  if (path === fhirBase || path.startsWith(`${fhirBase}/`)) return 'fhir';
  if (OAUTH_PATHS.has(path) || path.startsWith('/.well-known/')) return 'oauth';
  return 'other';
}

function body(area: Area, status: number, message: string): { type: string; text: string } {
  if (area === 'fhir') {
    const outcome = operationOutcome({ severity: 'error', code: 'invalid', diagnostics: message });
    return { type: 'application/fhir+json; charset=utf-8', text: JSON.stringify(outcome) };
  }
  if (area === 'oauth') {
    return {
      type: 'application/json; charset=utf-8',
      text: JSON.stringify({ error: 'invalid_request', error_description: message }),
    };
  }
  const error = http.STATUS_CODES[status] ?? 'Bad Request';
  return {
    type: 'application/json; charset=utf-8',
    text: JSON.stringify({ error, message, statusCode: status }),
  };
}

/** fastify `frameworkErrors`: FST_ERR_BAD_URL, FST_ERR_MAX_PARAM_LENGTH and the like. */
export function frameworkErrors(fhirBase: string) {
  return (err: Error & { statusCode?: number }, req: FastifyRequest, reply: FastifyReply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
    const area = areaOf(req.raw.url ?? '/', fhirBase);
    const message = status === 414 ? 'A path segment is too long' : 'The URL is not validly encoded';
    const b = body(area, status, message);
    if (area === 'oauth') reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    return reply.code(status).type(b.type).send(b.text);
  };
}

/** The request target from the raw bytes node's parser refused (undefined when it never got that far). */
function targetOf(raw: unknown): string | undefined {
  if (!Buffer.isBuffer(raw)) return undefined;
  const line = raw.subarray(0, Math.min(raw.length, 8192)).toString('latin1').split('\r\n')[0]!;
  return /^[A-Z]+ (\S+)/.exec(line)?.[1];
}

/** fastify `clientErrorHandler` (node's clientError): like fastify's default, with the bodies above. */
export function clientErrorHandler(fhirBase: string) {
  return (err: Error & { code?: string; rawPacket?: unknown }, socket: Duplex): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    let status = 400;
    let message = 'The request could not be parsed';
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      status = 408;
      message = 'The request did not arrive in time';
    } else if (err.code === 'HPE_HEADER_OVERFLOW') {
      status = 431;
      message = 'The request line and headers are too large';
    }
    const target = targetOf(err.rawPacket);
    const b = body(target === undefined ? 'other' : areaOf(target, fhirBase), status, message);
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(b.text)}\r\n` +
          `Content-Type: ${b.type}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${b.text}`,
      );
    }
    socket.destroy();
  };
}
