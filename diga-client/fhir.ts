// FHIR requests to the resource server over mTLS with the Bearer access token. A 401 (invalid_token) is
// answered by one refresh and one retry; if the refresh fails with invalid_grant, or the retry is refused
// as well, the grant is gone and the caller gets a `grant_revoked` error naming that.
import { DigaClientError } from './errors.ts';
import { header, type MtlsHttp, type HttpResponse } from './http.ts';
import type { TokenSession } from './oauth.ts';

export interface FhirResource {
  resourceType: string;
  id?: string;
  meta?: { versionId?: string; lastUpdated?: string };
  [k: string]: unknown;
}

export interface Bundle extends FhirResource {
  resourceType: 'Bundle';
  meta?: { lastUpdated?: string };
  link?: Array<{ relation: string; url: string }>;
  entry?: Array<{ fullUrl?: string; resource?: FhirResource; search?: { mode?: string } }>;
}

const JSON_TYPE = 'application/fhir+json';

function outcomeText(text: string): string {
  try {
    const oo = JSON.parse(text) as { issue?: Array<{ diagnostics?: string; details?: { text?: string } }> };
    const i = oo.issue?.[0];
    return i?.diagnostics ?? i?.details?.text ?? '';
  } catch {
    return '';
  }
}

export class FhirClient {
  private readonly http: MtlsHttp;
  readonly base: string;
  private readonly tokens?: TokenSession;

  constructor(http: MtlsHttp, base: string, tokens?: TokenSession) {
    this.http = http;
    this.base = base;
    this.tokens = tokens;
  }

  private url(pathOrUrl: string): string {
    return /^https:\/\//.test(pathOrUrl)
      ? pathOrUrl
      : `${this.base.replace(/\/$/, '')}/${pathOrUrl.replace(/^\//, '')}`;
  }

  /** Public requests (the CapabilityStatement) go without a token. */
  async metadata(): Promise<FhirResource> {
    const res = await this.http.request(this.url('metadata'), { headers: { accept: JSON_TYPE } });
    return this.parse(res, 'GET metadata');
  }

  async get(pathOrUrl: string): Promise<FhirResource> {
    return this.send('GET', pathOrUrl);
  }

  async post(pathOrUrl: string, body: unknown): Promise<FhirResource> {
    return this.send('POST', pathOrUrl, JSON.stringify(body));
  }

  private async send(method: string, pathOrUrl: string, body?: string): Promise<FhirResource> {
    if (!this.tokens) throw new DigaClientError('not_paired', 'no tokens: pair first');
    const url = this.url(pathOrUrl);
    const what = `${method} ${new URL(url).pathname}`;
    const pairingId = this.tokens.current().pairingId || undefined;
    const once = async (token: string) =>
      this.http.request(url, {
        method,
        pairingId,
        headers: {
          accept: JSON_TYPE,
          authorization: `Bearer ${token}`,
          ...(body !== undefined ? { 'content-type': JSON_TYPE } : {}),
        },
        body,
      });
    let res = await once(await this.tokens.accessToken());
    if (res.status === 401) {
      // Perhaps expired in between: refresh once. invalid_grant from the token endpoint → grant_revoked.
      const t = await this.tokens.refresh();
      res = await once(t.accessToken);
      if (res.status === 401) {
        const why = /error_description="([^"]*)"/.exec(header(res, 'www-authenticate') ?? '')?.[1];
        throw new DigaClientError(
          'grant_revoked',
          `${what}: the resource server refuses the fresh token (401${why ? `: ${why}` : ''}); the grant was revoked — pair again`,
        );
      }
    }
    return this.parse(res, what);
  }

  private parse(res: HttpResponse, what: string): FhirResource {
    if (res.status !== 200) {
      const detail = outcomeText(res.text);
      throw new DigaClientError('protocol', `${what}: HTTP ${res.status}${detail ? ` (${detail})` : ''}`, {
        httpStatus: res.status,
      });
    }
    try {
      return JSON.parse(res.text) as FhirResource;
    } catch {
      throw new DigaClientError('protocol', `${what}: the answer is not JSON`);
    }
  }

  /** A search and all its pages (following `next`); returns the page bundles. */
  async searchAll(type: string, params: Array<[string, string]>, maxPages = 1000): Promise<Bundle[]> {
    const q = new URLSearchParams(params).toString();
    let next: string | undefined = `${type}?${q}`;
    const pages: Bundle[] = [];
    while (next && pages.length < maxPages) {
      const b = (await this.get(next)) as Bundle;
      if (b.resourceType !== 'Bundle') throw new DigaClientError('protocol', `search ${type}: not a Bundle`);
      pages.push(b);
      next = b.link?.find((l) => l.relation === 'next')?.url;
    }
    return pages;
  }
}
