// A deliberately broken DDR for the kit's tests: our gateway with fastify hooks that alter its answers the way
// real servers go wrong, each fault one a check of the kit is there to find:
// - wrong unit: blood glucose valueQuantity says mmol/L under a LOINC code that implies mg/dL (bg.unit; and
//   search.valueQuantity: a value-quantity search in the unit the data name finds none of them)
// - missing aud: the access tokens handed out carry no aud claim (token-claims.aud). The kit gets a copy of each
//   token without aud, signed with another key; requests carrying the copy reach the server with the original,
//   so only the claim is wrong, not the access.
// - a paging gap: every page after the first of a small-_count Observation search loses its first match
//   (paging.noGap, and paging.sorted, which walks the pages too)
// - a CGM sample out of range not coded L/U: the first sample of every chunk becomes 12 mg/dL, below the
//   chunk's lowerLimit of 40 (cgm.limits)
// - a generic maintenance answer: during maintenance the FHIR API's 503 is a bare JSON error without
//   Retry-After (operations.maintenanceOutcome, operations.retryAfter; seen only while a window runs)
import { generateKeyPair, SignJWT, decodeJwt } from 'jose';
import type { FastifyInstance, FastifyRequest } from 'fastify';

interface Res {
  resourceType?: string;
  valueQuantity?: { code?: string; unit?: string };
  valueSampledData?: { data?: string };
  entry?: Array<{ resource?: Res; search?: { mode?: string } }>;
}

function wrongUnit(r: Res): void {
  if (r.valueQuantity?.code === 'mg/dL')
    r.valueQuantity = { ...r.valueQuantity, code: 'mmol/L', unit: 'mmol/L' };
}

function sampleOutOfRange(r: Res): void {
  const sd = r.valueSampledData;
  if (typeof sd?.data === 'string') sd.data = sd.data.replace(/^(\d+(\.\d+)?)/, '12');
}

function pagingGap(req: FastifyRequest, b: Res): void {
  const u = new URL(req.url, 'https://x');
  const small = Number(u.searchParams.get('_count') ?? '100') <= 10;
  if (!u.pathname.endsWith('/Observation') || !small || !u.search.includes('_cursor=')) return;
  const i = (b.entry ?? []).findIndex((e) => e.search?.mode !== 'include');
  if (i >= 0) b.entry!.splice(i, 1);
}

function alterFhir(req: FastifyRequest, body: Res): void {
  const resources = body.resourceType === 'Bundle' ? (body.entry ?? []).map((e) => e.resource) : [body];
  for (const r of resources) {
    if (r?.resourceType !== 'Observation') continue;
    wrongUnit(r);
    sampleOutOfRange(r);
  }
  if (body.resourceType === 'Bundle') pagingGap(req, body);
}

export async function breakServer(app: FastifyInstance): Promise<void> {
  const { privateKey } = await generateKeyPair('ES256');
  const originals = new Map<string, string>();
  const withoutAud = async (token: string) => {
    const { aud: _aud, ...claims } = decodeJwt(token);
    const copy = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' })
      .sign(privateKey);
    originals.set(copy, token);
    return copy;
  };
  app.addHook('onRequest', async (req) => {
    // the server compresses FHIR answers before this hook sees them: ask it for plain ones
    if (req.url.startsWith('/fhir/')) delete req.headers['accept-encoding'];
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const original = m ? originals.get(m[1]!) : undefined;
    if (original) req.headers.authorization = `Bearer ${original}`;
  });
  app.addHook('onSend', async (req, reply, raw) => {
    const payload = Buffer.isBuffer(raw) ? raw.toString('utf8') : raw;
    if (typeof payload !== 'string' || !/json/.test(String(reply.getHeader('content-type')))) return raw;
    if (req.url.startsWith('/token') && reply.statusCode === 200) {
      const t = JSON.parse(payload) as { access_token?: string };
      if (t.access_token) t.access_token = await withoutAud(t.access_token);
      return JSON.stringify(t);
    }
    if (!req.url.startsWith('/fhir/')) return raw;
    if (reply.statusCode === 503) {
      reply.removeHeader('retry-after');
      reply.type('application/json');
      return JSON.stringify({ error: 'Service Unavailable' });
    }
    const body = JSON.parse(payload) as Res;
    alterFhir(req, body);
    return JSON.stringify(body);
  });
}
