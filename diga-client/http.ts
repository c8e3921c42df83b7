// HTTPS with the DiGA's client certificate (mTLS, RFC 8705) on a keep-alive agent, trusting only the
// given CA. Node's global fetch cannot present client certificates, so requests go through node:https;
// `fetch` adapts them for oauth4webapi's customFetch. Compressed answers (gzip, br) are decoded here.
// Every request passes here, so here each one gets its transaction id (sent as X-Request-ID, which the gateway
// takes as its own request id) and is handed to the recorder when it ends, failed or not (access-log.ts).
import { randomUUID } from 'node:crypto';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import zlib from 'node:zlib';

export interface TlsFiles {
  /** CA certificate(s) the server certificate must chain to (PEM). */
  ca: string;
  /** The DiGA's client certificate and key (PEM); omitted for a patient's browser. */
  cert?: string;
  key?: string;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface HttpRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
  /** The pairing the request is made for, when the caller knows it (for the access log). */
  pairingId?: string;
}

/** One finished request as the recorder sees it: what was sent, and the response or the failure. */
export interface Exchange {
  transactionId: string;
  method: string;
  url: string;
  /** As sent; read only to know which values (the Bearer token, a code) must never reach a log. */
  headers: Record<string, string>;
  body?: string;
  pairingId?: string;
  elapsedMs: number;
  response?: HttpResponse & { bytes: number };
  error?: Error;
}

export type ExchangeRecorder = (x: Exchange) => void;

export class MtlsHttp {
  private readonly agent: https.Agent;
  private readonly recorder: ExchangeRecorder | undefined;

  /** `recorder` is called once for every request when it ends (the DiGA's access log). */
  constructor(tls: TlsFiles, recorder?: ExchangeRecorder) {
    this.recorder = recorder;
    this.agent = new https.Agent({
      keepAlive: true,
      maxSockets: 4,
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      minVersion: 'TLSv1.2',
    });
  }

  async request(url: string, req: HttpRequest = {}): Promise<HttpResponse> {
    const transactionId = randomUUID();
    const headers = { 'accept-encoding': 'gzip, br', ...req.headers, 'x-request-id': transactionId };
    const method = req.method ?? 'GET';
    const started = performance.now();
    const record = (response?: HttpResponse & { bytes: number }, error?: Error) => {
      try {
        this.recorder?.({
          transactionId,
          method,
          url,
          headers,
          body: req.body,
          pairingId: req.pairingId,
          elapsedMs: performance.now() - started,
          response,
          error,
        });
      } catch {
        // the recorder reports its own write failures; logging must never change the request's outcome
      }
    };
    let raw: { status: number; headers: HttpResponse['headers']; body: Buffer } | undefined;
    try {
      raw = await this.send(url, method, headers, req);
      const text = decode(raw.body, raw.headers).toString('utf8');
      const res = { status: raw.status, headers: raw.headers, text };
      record({ ...res, bytes: raw.body.length });
      return res;
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      record(raw && { status: raw.status, headers: raw.headers, text: '', bytes: raw.body.length }, e);
      throw e;
    }
  }

  private send(
    url: string,
    method: string,
    headers: Record<string, string>,
    req: HttpRequest,
  ): Promise<{ status: number; headers: HttpResponse['headers']; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const r = https.request(
        url,
        { method, headers, agent: this.agent, timeout: req.timeoutMs ?? 30_000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          );
        },
      );
      r.on('timeout', () => r.destroy(new Error(`request to ${new URL(url).origin} timed out`)));
      r.on('error', reject);
      if (req.body !== undefined) r.write(req.body);
      r.end();
    });
  }

  /** A fetch() over this agent, for oauth4webapi's `customFetch`; `pairingId` goes to the access log. */
  fetchFor(context: { pairingId?: string } = {}): typeof fetch {
    return (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const headers: Record<string, string> = {};
      new Headers(init?.headers).forEach((v, k) => (headers[k] = v));
      const body = init?.body === undefined || init.body === null ? undefined : String(init.body);
      const method = init?.method ?? 'GET';
      const r = await this.request(url, { method, headers, body, pairingId: context.pairingId });
      const h = new Headers();
      for (const [k, v] of Object.entries(r.headers)) {
        if (v === undefined || k === 'content-encoding' || k === 'content-length') continue;
        for (const x of Array.isArray(v) ? v : [v]) h.append(k, x);
      }
      const nullBody = r.status === 204 || r.status === 304 || r.text.length === 0;
      return new Response(nullBody ? null : r.text, { status: r.status, headers: h });
    }) as typeof fetch;
  }

  close(): void {
    this.agent.destroy();
  }
}

function decode(body: Buffer, headers: HttpResponse['headers']): Buffer {
  const enc = String(headers['content-encoding'] ?? '').toLowerCase();
  if (enc === 'gzip') return zlib.gunzipSync(body);
  if (enc === 'br') return zlib.brotliDecompressSync(body);
  return body;
}

export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
