// Response compression of the FHIR API (onSend): br (quality 4) or gzip (level 5) when the client accepts it
// and the body is at least server.fhir.compressMinBytes.
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';

const gzip = promisify(zlib.gzip);
const brotli = promisify(zlib.brotliCompress);

export async function compressResponse(req: FastifyRequest, reply: FastifyReply, payload: unknown) {
  if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
  const size = Buffer.byteLength(payload);
  if (size < req.server.fhirService.settings.compressMinBytes || reply.getHeader('content-encoding')) {
    return payload;
  }
  const accept = String(req.headers['accept-encoding'] ?? '');
  reply.header('vary', 'Accept-Encoding');
  if (/\bbr\b/.test(accept)) {
    reply.header('content-encoding', 'br');
    reply.removeHeader('content-length');
    return brotli(payload, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } });
  }
  if (/\bgzip\b/.test(accept)) {
    reply.header('content-encoding', 'gzip');
    reply.removeHeader('content-length');
    return gzip(payload, { level: 5 });
  }
  return payload;
}
