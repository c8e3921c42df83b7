// FHIR requests of the kit: Bearer token + client certificate on every call, JSON unless asked otherwise, and
// searches followed page by page to the end. Every resource a pairing is shown goes into the pool for the
// profile and isolation checks.
import { fail } from './check.ts';
import type { FhirResource, KitContext, Pairing } from './context.ts';
import type { Identity, ProbeResponse } from './http.ts';

export const FHIR_JSON = 'application/fhir+json';
export const FHIR_XML = 'application/fhir+xml';

export interface Bundle extends FhirResource {
  type?: string;
  total?: number;
  link?: Array<{ relation?: string; url?: string }>;
  entry?: Array<{ fullUrl?: string; resource?: FhirResource; search?: { mode?: string } }>;
}

export interface FhirCall {
  token?: string;
  as?: Identity;
  accept?: string;
  method?: string;
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export async function fhirCall(
  ctx: KitContext,
  pathOrUrl: string,
  call: FhirCall = {},
): Promise<ProbeResponse> {
  const headers: Record<string, string> = { accept: call.accept ?? FHIR_JSON, ...call.headers };
  if (call.token !== undefined) headers.authorization = `Bearer ${call.token}`;
  if (call.contentType) headers['content-type'] = call.contentType;
  return ctx.probe.send({
    url: ctx.fhirUrl(pathOrUrl),
    method: call.method ?? (call.body !== undefined ? 'POST' : 'GET'),
    headers,
    ...(call.body !== undefined ? { body: call.body } : {}),
    as: call.as ?? 'client',
  });
}

/** GET with the pairing's token; the resource (or Bundle entries) go to the pool. */
export async function fhirGet(ctx: KitContext, p: Pairing, pathOrUrl: string): Promise<ProbeResponse> {
  const res = await fhirCall(ctx, pathOrUrl, { token: p.tokens.access_token });
  collect(ctx, p, res.json<FhirResource>());
  return res;
}

export function collect(ctx: KitContext, p: Pairing, r: FhirResource | undefined): void {
  if (!r) return;
  if (r.resourceType === 'Bundle')
    for (const e of (r as Bundle).entry ?? []) ctx.pool.add(p.label, e.resource);
  else ctx.pool.add(p.label, r);
}

export interface SearchResult {
  pages: Bundle[];
  responses: ProbeResponse[];
  /** Entries with search.mode match (or no mode), in order, across pages. */
  matches: FhirResource[];
  included: FhirResource[];
}

/** A query string with spaces as %20: `+` for a space is form encoding, which not every server applies to GET. */
export function query(params: Array<[string, string]>): string {
  return params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
}

/**
 * A search followed to the last page (at most `maxPages`; more fails the check unless `partial`, which stops
 * there); fails the check on a non-200 page.
 */
export async function searchAll(
  ctx: KitContext,
  p: Pairing,
  type: string,
  params: Array<[string, string]>,
  maxPages = 200,
  partial = false,
): Promise<SearchResult> {
  const out: SearchResult = { pages: [], responses: [], matches: [], included: [] };
  let next: string | undefined = `${type}?${query(params)}`;
  while (next && out.pages.length < maxPages) {
    const res = await fhirGet(ctx, p, next);
    out.responses.push(res);
    const b = res.json<Bundle>();
    if (res.status !== 200 || b?.resourceType !== 'Bundle') {
      fail(
        `GET ${type}?${query(params)} page ${out.pages.length + 1}: HTTP ${res.status || res.error}${outcomeText(res)}`,
      );
    }
    out.pages.push(b);
    for (const e of b.entry ?? []) {
      if (!e.resource) continue;
      if (e.search?.mode === 'include') out.included.push(e.resource);
      else if (e.search?.mode !== 'outcome' && e.resource.resourceType !== 'OperationOutcome')
        out.matches.push(e.resource);
    }
    next = b.link?.find((l) => l.relation === 'next')?.url;
  }
  if (next && !partial) fail(`GET ${type}: more than ${maxPages} pages`);
  return out;
}

export function ids(rs: FhirResource[]): string[] {
  return rs.map((r) => `${r.resourceType}/${r.id}`);
}

/** ", diagnostics" of an OperationOutcome body, for messages. */
export function outcomeText(res: ProbeResponse): string {
  const oo = res.json<{ issue?: Array<{ diagnostics?: string; details?: { text?: string } }> }>();
  const d = oo?.issue?.[0]?.diagnostics ?? oo?.issue?.[0]?.details?.text;
  return d ? ` (${d})` : '';
}

/** The OperationOutcome of an error response, or undefined. */
export function outcomeOf(res: ProbeResponse): { issue: Array<Record<string, unknown>> } | undefined {
  const oo = res.json<{ resourceType?: string; issue?: Array<Record<string, unknown>> }>();
  return oo?.resourceType === 'OperationOutcome' && Array.isArray(oo.issue) && oo.issue.length > 0
    ? { issue: oo.issue }
    : undefined;
}
