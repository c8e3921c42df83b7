// The evidence as a report shows it: every secret of the run (tokens, codes, verifiers, request_uris, keys,
// test patients' credentials) replaced by a placeholder, credentials in headers, forms and JSON bodies masked by
// name as well (so a secret the kit never learnt is not written either), and long bodies cut.
import type { Exchange } from '../check.ts';

export const MASK = '***';

/** Form or query parameters whose values are credentials (not `code`: FHIR searches use it for LOINC codes;
 * authorization codes are among the run's secrets). */
const SECRET_PARAMS = [
  'code_verifier',
  'refresh_token',
  'access_token',
  'token',
  'request_uri',
  'password',
  'client_assertion',
];
const SECRET_JSON = ['access_token', 'refresh_token', 'id_token', 'request_uri', 'password'];
const SECRET_HEADERS = new Set(['authorization', 'cookie', 'set-cookie', 'proxy-authorization']);

/** Values shorter than this are not replaced wherever they occur (a 6-digit TOTP code would hit any number). */
const MIN_SECRET_LENGTH = 8;

export class Masker {
  private readonly secrets: string[];

  constructor(secrets: Iterable<string>) {
    const all = new Set<string>();
    for (const s of secrets) {
      if (s.length < MIN_SECRET_LENGTH) continue;
      all.add(s);
      all.add(encodeURIComponent(s));
      all.add(new URLSearchParams({ x: s }).toString().slice(2));
    }
    // longest first: a token that contains another secret is masked whole
    this.secrets = [...all].sort((a, b) => b.length - a.length);
  }

  text(s: string): string {
    let out = s;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join(MASK);
    for (const p of SECRET_PARAMS) {
      out = out.replace(new RegExp(`([?&]|^)(${p})=([^&#\\s"]+)`, 'g'), `$1$2=${MASK}`);
    }
    for (const k of SECRET_JSON)
      out = out.replace(new RegExp(`("${k}"\\s*:\\s*)"[^"]*"`, 'g'), `$1"${MASK}"`);
    return out;
  }

  headers(h: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(h)) {
      if (!SECRET_HEADERS.has(k.toLowerCase())) out[k] = this.text(v);
      else out[k] = /^(Bearer|Basic|DPoP)\s/i.test(v) ? `${v.split(/\s/)[0]} ${MASK}` : MASK;
    }
    return out;
  }

  /** A masked copy with bodies cut to `maxBody` characters. */
  exchange(e: Exchange, maxBody: number): Exchange {
    const body = (b: string) => cut(this.text(b), maxBody);
    return {
      request: {
        ...e.request,
        url: this.text(e.request.url),
        headers: this.headers(e.request.headers),
        ...(e.request.body !== undefined ? { body: body(e.request.body) } : {}),
      },
      ...(e.response
        ? {
            response: {
              status: e.response.status,
              headers: this.headers(e.response.headers),
              body: body(e.response.body),
            },
          }
        : {}),
      ...(e.error !== undefined ? { error: this.text(e.error) } : {}),
      durationMs: e.durationMs,
    };
  }
}

export function cut(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}… (${s.length - max} more characters)`;
}
