// HTTPS for the kit: every request goes out over TLS trusting only the given CA, presenting one of the client
// identities (the DiGA's certificate, another DiGA's, a same-subject impostor, or none), and every exchange is
// handed to the recorder, so a check's evidence is exactly what was sent and received.
import https from 'node:https';
import zlib from 'node:zlib';
import type { Exchange } from './check.ts';

export type Identity = 'client' | 'other' | 'impostor' | 'none';

export interface KeyPair {
  cert: string;
  key: string;
}

export interface ProbeRequest {
  method?: string;
  url: string;
  headers?: Record<string, string>;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string | undefined>;
  body?: string;
  as?: Identity;
  timeoutMs?: number;
}

export interface ProbeResponse {
  /** 0 when there was no HTTP answer (TLS refused, connection reset). */
  status: number;
  headers: Record<string, string>;
  text: string;
  /** The transport error when status is 0. */
  error?: string;
  exchange: Exchange;
  header(name: string): string | undefined;
  /** The body as JSON, or undefined when it is not JSON. */
  json<T = Record<string, unknown>>(): T | undefined;
}

function flatHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function decode(body: Buffer, encoding: string | undefined): string {
  const enc = (encoding ?? '').toLowerCase();
  if (enc === 'gzip') return zlib.gunzipSync(body).toString('utf8');
  if (enc === 'br') return zlib.brotliDecompressSync(body).toString('utf8');
  if (enc === 'deflate') return zlib.inflateSync(body).toString('utf8');
  return body.toString('utf8');
}

export class Probe {
  private readonly agents = new Map<Identity, https.Agent>();
  /** Receives every exchange (the recorder attaches it to the running check). */
  onExchange: (e: Exchange) => void = () => undefined;

  private readonly ca: string;
  private readonly identities: Partial<Record<Identity, KeyPair>>;
  private readonly defaultTimeoutMs: number;

  constructor(ca: string, identities: Partial<Record<Identity, KeyPair>>, defaultTimeoutMs = 30_000) {
    this.ca = ca;
    this.identities = identities;
    this.defaultTimeoutMs = defaultTimeoutMs;
  }

  has(identity: Identity): boolean {
    return identity === 'none' || this.identities[identity] !== undefined;
  }

  private agent(identity: Identity): https.Agent {
    let a = this.agents.get(identity);
    if (!a) {
      const pair = identity === 'none' ? undefined : this.identities[identity];
      if (identity !== 'none' && !pair) throw new Error(`no certificate for the ${identity} identity`);
      a = new https.Agent({
        keepAlive: true,
        maxSockets: 4,
        ca: this.ca,
        cert: pair?.cert,
        key: pair?.key,
        minVersion: 'TLSv1.2',
      });
      this.agents.set(identity, a);
    }
    return a;
  }

  async send(req: ProbeRequest): Promise<ProbeResponse> {
    const identity = req.as ?? 'client';
    const headers: Record<string, string> = { 'accept-encoding': 'gzip, br', ...req.headers };
    let body = req.body;
    if (req.form) {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(req.form)) if (v !== undefined) p.append(k, v);
      body = p.toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    }
    const method = req.method ?? (body !== undefined ? 'POST' : 'GET');
    const exchange: Exchange = {
      request: { method, url: req.url, headers, identity, ...(body !== undefined ? { body } : {}) },
      durationMs: 0,
    };
    const started = performance.now();
    try {
      const r = await this.raw(req.url, method, headers, body, identity, req.timeoutMs);
      exchange.response = r;
    } catch (err) {
      exchange.error = err instanceof Error ? err.message : String(err);
    }
    exchange.durationMs = Math.round(performance.now() - started);
    this.onExchange(exchange);
    return toResponse(exchange);
  }

  private raw(
    url: string,
    method: string,
    headers: Record<string, string>,
    body: string | undefined,
    identity: Identity,
    timeoutMs = this.defaultTimeoutMs,
  ): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    return new Promise((resolve, reject) => {
      const r = https.request(
        url,
        { method, headers, agent: this.agent(identity), timeout: timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            try {
              const h = flatHeaders(res.headers);
              resolve({
                status: res.statusCode ?? 0,
                headers: h,
                body: decode(Buffer.concat(chunks), h['content-encoding']),
              });
            } catch (err) {
              reject(err instanceof Error ? err : new Error(String(err)));
            }
          });
        },
      );
      r.on('timeout', () => r.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      r.on('error', reject);
      if (body !== undefined) r.write(body);
      r.end();
    });
  }

  close(): void {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }
}

export function toResponse(exchange: Exchange): ProbeResponse {
  const res = exchange.response;
  const headers = res?.headers ?? {};
  const text = res?.body ?? '';
  return {
    status: res?.status ?? 0,
    headers,
    text,
    ...(exchange.error !== undefined ? { error: exchange.error } : {}),
    exchange,
    header: (name) => headers[name.toLowerCase()],
    json<T>() {
      try {
        return JSON.parse(text) as T;
      } catch {
        return undefined;
      }
    },
  };
}
