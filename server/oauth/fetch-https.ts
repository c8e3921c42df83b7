// GET of a JSON document over HTTPS (TLS 1.2+, an optional extra CA, a timeout and a size cap): how the
// DiGA directory and the DSR issuer keys are fetched when their source is an https:// URL.
import https from 'node:https';

export interface FetchHttpsOptions {
  /** Extra CA certificate (PEM). */
  ca?: string | null;
  timeoutMs: number;
  maxBytes: number;
  /** Aborts the request (jose's JWKS timeout). */
  signal?: AbortSignal;
}

/** The body of a 200 answer; anything else rejects with an Error saying what happened. */
export function fetchHttps(url: string, opts: FetchHttpsOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      url,
      {
        ca: opts.ca ?? undefined,
        timeout: opts.timeoutMs,
        minVersion: 'TLSv1.2',
        headers: { accept: 'application/json' },
        signal: opts.signal,
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`HTTP ${res.statusCode}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > opts.maxBytes) req.destroy(new Error(`answer larger than ${opts.maxBytes} bytes`));
          else chunks.push(c);
        });
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    req.on('error', reject);
  });
}
