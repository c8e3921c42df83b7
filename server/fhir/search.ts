// Runs a parsed search against the store and renders the searchset Bundle as bytes: the stored resource
// JSON is spliced in as is (no parse/serialize per entry), which is most of a search's cost otherwise, and
// each entry's UTF-8 bytes are kept with the (cached) row in the server's EntryCache, so a page is one copy
// of its entries.
import { randomUUID } from 'node:crypto';
import {
  resolveReference,
  searchResources,
  type SearchPage,
  type SearchScope,
  type SearchType,
} from '../../gateway/store/fhir-search.ts';
import type { ResourceRow } from '../../gateway/store/resources.ts';
import type { Store } from '../../gateway/store/store.ts';
import { decodeCursor, encodeCursor, searchDigest } from './cursor.ts';
import { badRequest, operationOutcome } from './outcome.ts';
import { parseSearch, type ParsedSearch, type SearchContext } from './search-params.ts';

export interface SearchRequest {
  type: SearchType;
  params: ReadonlyArray<readonly [string, string]>;
  scope: SearchScope;
  ctx: SearchContext;
  /** Absolute FHIR base URL, e.g. https://hub.example/fhir */
  baseUrl: string;
  cursorSecret: Buffer;
  /** The renderings of this server (FhirService.entries). */
  entries: EntryCache;
}

export interface SearchResult {
  /** The searchset Bundle as UTF-8 JSON. */
  body: Buffer;
  matches: number;
  included: number;
}

function searchUrl(
  baseUrl: string,
  type: string,
  params: ReadonlyArray<readonly [string, string]>,
  cursor?: string,
) {
  const qs = new URLSearchParams();
  for (const [k, v] of params) if (k !== '_cursor') qs.append(k, v);
  if (cursor) qs.append('_cursor', cursor);
  const s = qs.toString();
  return `${baseUrl}/${type}${s ? `?${s}` : ''}`;
}

/**
 * Bundle entries' bytes, kept per row object: the store hands out the same object for an unchanged version
 * (its row cache), and a new version is a new object, so a kept rendering is never stale. One per server
 * (server/fhir/service.ts), so servers in one process never share renderings.
 */
export class EntryCache {
  private readonly rendered = new WeakMap<ResourceRow, { baseUrl: string; mode: string; bytes: Buffer }>();

  entry(baseUrl: string, row: ResourceRow, mode: 'match' | 'include'): Buffer {
    const kept = this.rendered.get(row);
    if (kept && kept.baseUrl === baseUrl && kept.mode === mode) return kept.bytes;
    const bytes = Buffer.from(
      `{"fullUrl":${JSON.stringify(`${baseUrl}/${row.type}/${row.id}`)},"resource":${row.json},"search":{"mode":"${mode}"}}`,
    );
    this.rendered.set(row, { baseUrl, mode, bytes });
    return bytes;
  }
}

const COMMA = Buffer.from(',');
const ENTRIES_END = Buffer.from(']}');

/** self, and first/previous/next with signed cursors bound to this search (its digest). */
function pageLinks(req: SearchRequest, parsed: ParsedSearch, page: SearchPage, digest: string) {
  const url = (cursor?: string) => searchUrl(req.baseUrl, req.type, req.params, cursor);
  const links: Array<{ relation: string; url: string }> = [{ relation: 'self', url: url(parsed.cursor) }];
  const keyOf = (row: ResourceRow) =>
    parsed.query.sort.key === 'date'
      ? (row.effective_start_ms ?? 0)
      : parsed.query.sort.key === 'lastUpdated'
        ? row.last_updated_ms
        : row.id;
  if (page.hasPrev && page.rows.length > 0) {
    links.push({ relation: 'first', url: url() });
    const first = page.rows[0];
    const c = encodeCursor(req.cursorSecret, { dir: 'prev', v: keyOf(first), id: first.id }, digest);
    links.push({ relation: 'previous', url: url(c) });
  }
  if (page.hasNext && page.rows.length > 0) {
    const last = page.rows[page.rows.length - 1];
    const c = encodeCursor(req.cursorSecret, { dir: 'next', v: keyOf(last), id: last.id }, digest);
    links.push({ relation: 'next', url: url(c) });
  }
  return links;
}

/** The rows _include asks for (each once, and only what the scope may see). */
function includedRows(store: Store, req: SearchRequest, parsed: ParsedSearch, rows: ResourceRow[]) {
  const seen = new Set(rows.map((r) => `${r.type}/${r.id}`));
  const included: ResourceRow[] = [];
  const addRef = (ref: string | null) => {
    if (!ref || seen.has(ref)) return;
    seen.add(ref);
    const row = resolveReference(store, ref, req.scope);
    if (row) included.push(row);
  };
  if (parsed.includes.observationDevice) for (const r of rows) if (r.type === 'Observation') addRef(r.ref);
  if (parsed.includes.metricSource) {
    for (const r of [...rows, ...included]) if (r.type === 'DeviceMetric') addRef(r.ref);
  }
  return included;
}

/** The Bundle's own members as JSON, then the entries spliced in as bytes. */
function bundleBytes(head: object, entries: Buffer[]): Buffer {
  const headJson = JSON.stringify(head);
  if (entries.length === 0) return Buffer.from(headJson);
  const parts: Buffer[] = [Buffer.from(`${headJson.slice(0, -1)},"entry":[`)];
  entries.forEach((e, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(e);
  });
  parts.push(ENTRIES_END);
  return Buffer.concat(parts);
}

export function runSearch(store: Store, req: SearchRequest): SearchResult {
  const parsed = parseSearch(req.type, req.params, req.ctx);
  const digest = searchDigest(req.params);
  let cursor;
  if (parsed.cursor !== undefined) {
    cursor = decodeCursor(req.cursorSecret, parsed.cursor, digest);
    if (!cursor) throw badRequest('Invalid or expired paging cursor _cursor', '_cursor', 'invalid');
  }
  const page: SearchPage =
    parsed.empty || parsed.query.count === 0
      ? { rows: [], hasNext: false, hasPrev: false }
      : searchResources(store, { ...parsed.query, scope: req.scope, cursor });
  const links = pageLinks(req, parsed, page, digest);
  const entries = page.rows.map((r) => req.entries.entry(req.baseUrl, r, 'match'));
  const included = includedRows(store, req, parsed, page.rows);
  for (const r of included) entries.push(req.entries.entry(req.baseUrl, r, 'include'));
  if (parsed.warnings.length > 0) {
    const oo = operationOutcome(...parsed.warnings);
    entries.push(
      Buffer.from(
        `{"fullUrl":"urn:uuid:${randomUUID()}","resource":${JSON.stringify(oo)},"search":{"mode":"outcome"}}`,
      ),
    );
  }
  const at = new Date(req.ctx.nowMs).toISOString();
  const head = {
    resourceType: 'Bundle',
    id: randomUUID(),
    meta: { lastUpdated: at },
    type: 'searchset',
    timestamp: at,
    link: links,
  };
  return { body: bundleBytes(head, entries), matches: page.rows.length, included: included.length };
}
