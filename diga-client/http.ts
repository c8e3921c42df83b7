// HTTPS with the DiGA's client certificate (mTLS, RFC 8705) on a keep-alive agent, trusting only the
// given CA. Node's global fetch cannot present client certificates, so requests go through node:https;
// `fetch` adapts them for oauth4webapi's customFetch. Compressed answers (gzip, br) are decoded here.
import https from 'node:https';
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
}

export class MtlsHttp {
  private readonly agent: https.Agent;

  constructor(tls: TlsFiles) {
    this.agent = new https.Agent({
      keepAlive: true,
      maxSockets: 4,
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      minVersion: 'TLSv1.2',
    });
  }

  request(url: string, req: HttpRequest = {}): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const r = https.request(
        url,
        {
          method: req.method ?? 'GET',
          headers: { 'accept-encoding': 'gzip, br', ...req.headers },
          agent: this.agent,
          timeout: req.timeoutMs ?? 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            try {
              let body = Buffer.concat(chunks);
              const enc = String(res.headers['content-encoding'] ?? '').toLowerCase();
              if (enc === 'gzip') body = zlib.gunzipSync(body);
              else if (enc === 'br') body = zlib.brotliDecompressSync(body);
              resolve({ status: res.statusCode ?? 0, headers: res.headers, text: body.toString('utf8') });
            } catch (err) {
              reject(err instanceof Error ? err : new Error(String(err)));
            }
          });
        },
      );
      r.on('timeout', () => r.destroy(new Error(`request to ${new URL(url).origin} timed out`)));
      r.on('error', reject);
      if (req.body !== undefined) r.write(req.body);
      r.end();
    });
  }

  /** A fetch() over this agent, for oauth4webapi's `customFetch`. */
  readonly fetch = (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => (headers[k] = v));
    const body = init?.body === undefined || init.body === null ? undefined : String(init.body);
    const r = await this.request(url, { method: init?.method ?? 'GET', headers, body });
    const h = new Headers();
    for (const [k, v] of Object.entries(r.headers)) {
      if (v === undefined || k === 'content-encoding' || k === 'content-length') continue;
      for (const x of Array.isArray(v) ? v : [v]) h.append(k, x);
    }
    const nullBody = r.status === 204 || r.status === 304 || r.text.length === 0;
    return new Response(nullBody ? null : r.text, { status: r.status, headers: h });
  }) as typeof fetch;

  close(): void {
    this.agent.destroy();
  }
}

export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
