// Runs a parsed search against the store and renders the searchset Bundle as bytes: the stored resource
// JSON is spliced in as is (no parse/serialize per entry), which is most of a search's cost otherwise, and
// each entry's UTF-8 bytes are kept with the (cached) row, so a page is one copy of its entries.
import { randomUUID } from 'node:crypto';
import {
  readVisible,
  resolveReference,
  searchResources,
  type SearchScope,
  type SearchType,
} from '../../gateway/store/fhir-search.ts';
import type { ResourceRow } from '../../gateway/store/resources.ts';
import type { Store } from '../../gateway/store/store.ts';
import { decodeCursor, encodeCursor, searchDigest } from './cursor.ts';
import { badRequest, operationOutcome } from './outcome.ts';
import { parseSearch, type SearchContext } from './search-params.ts';

export interface SearchRequest {
  type: SearchType;
  params: ReadonlyArray<readonly [string, string]>;
  scope: SearchScope;
  ctx: SearchContext;
  /** Absolute FHIR base URL, e.g. https://hub.example/fhir */
  baseUrl: string;
  cursorSecret: Buffer;
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
 * A Bundle entry's bytes, kept per row object: the store hands out the same object for an unchanged
 * version (its row cache), and a new version is a new object, so a kept rendering is never stale.
 */
const rendered = new WeakMap<ResourceRow, { baseUrl: string; mode: string; bytes: Buffer }>();

function entry(baseUrl: string, row: ResourceRow, mode: 'match' | 'include'): Buffer {
  const kept = rendered.get(row);
  if (kept && kept.baseUrl === baseUrl && kept.mode === mode) return kept.bytes;
  const bytes = Buffer.from(
    `{"fullUrl":${JSON.stringify(`${baseUrl}/${row.type}/${row.id}`)},"resource":${row.json},"search":{"mode":"${mode}"}}`,
  );
  rendered.set(row, { baseUrl, mode, bytes });
  return bytes;
}

const COMMA = Buffer.from(',');
const ENTRIES_END = Buffer.from(']}');

export function runSearch(store: Store, req: SearchRequest): SearchResult {
  const parsed = parseSearch(req.type, req.params, req.ctx);
  const digest = searchDigest(req.params);
  let cursor;
  if (parsed.cursor !== undefined) {
    cursor = decodeCursor(req.cursorSecret, parsed.cursor, digest);
    if (!cursor) throw badRequest('Invalid or expired paging cursor _cursor', '_cursor', 'invalid');
  }
  const page =
    parsed.empty || parsed.query.count === 0
      ? { rows: [], hasNext: false, hasPrev: false }
      : searchResources(store, { ...parsed.query, scope: req.scope, cursor });

  const links: Array<{ relation: string; url: string }> = [
    { relation: 'self', url: searchUrl(req.baseUrl, req.type, req.params, parsed.cursor) },
  ];
  const keyOf = (row: ResourceRow) =>
    parsed.query.sort.key === 'date'
      ? (row.effective_start_ms ?? 0)
      : parsed.query.sort.key === 'lastUpdated'
        ? row.last_updated_ms
        : row.id;
  if (page.hasPrev && page.rows.length > 0) {
    links.push({ relation: 'first', url: searchUrl(req.baseUrl, req.type, req.params) });
    const first = page.rows[0];
    const c = encodeCursor(req.cursorSecret, { dir: 'prev', v: keyOf(first), id: first.id }, digest);
    links.push({ relation: 'previous', url: searchUrl(req.baseUrl, req.type, req.params, c) });
  }
  if (page.hasNext && page.rows.length > 0) {
    const last = page.rows[page.rows.length - 1];
    const c = encodeCursor(req.cursorSecret, { dir: 'next', v: keyOf(last), id: last.id }, digest);
    links.push({ relation: 'next', url: searchUrl(req.baseUrl, req.type, req.params, c) });
  }

  const entries = page.rows.map((r) => entry(req.baseUrl, r, 'match'));
  const seen = new Set(page.rows.map((r) => `${r.type}/${r.id}`));
  const included: ResourceRow[] = [];
  const addRef = (ref: string | null) => {
    if (!ref || seen.has(ref)) return;
    seen.add(ref);
    const row = resolveReference(store, ref, req.scope);
    if (row) included.push(row);
  };
  if (parsed.includes.observationDevice)
    for (const r of page.rows) if (r.type === 'Observation') addRef(r.ref);
  if (parsed.includes.metricSource) {
    for (const r of [...page.rows, ...included]) if (r.type === 'DeviceMetric') addRef(r.ref);
  }
  for (const r of included) entries.push(entry(req.baseUrl, r, 'include'));
  if (parsed.warnings.length > 0) {
    const oo = operationOutcome(...parsed.warnings);
    entries.push(
      Buffer.from(
        `{"fullUrl":"urn:uuid:${randomUUID()}","resource":${JSON.stringify(oo)},"search":{"mode":"outcome"}}`,
      ),
    );
  }
  const head = {
    resourceType: 'Bundle',
    id: randomUUID(),
    meta: { lastUpdated: new Date(req.ctx.nowMs).toISOString() },
    type: 'searchset',
    timestamp: new Date(req.ctx.nowMs).toISOString(),
    link: links,
  };
  const headJson = JSON.stringify(head);
  if (entries.length === 0) return { body: Buffer.from(headJson), matches: 0, included: 0 };
  const parts: Buffer[] = [Buffer.from(`${headJson.slice(0, -1)},"entry":[`)];
  entries.forEach((e, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(e);
  });
  parts.push(ENTRIES_END);
  return { body: Buffer.concat(parts), matches: page.rows.length, included: included.length };
}

/** A read: the resource if the scope may see it. */
export function readResource(
  store: Store,
  type: SearchType,
  id: string,
  scope: SearchScope,
): ResourceRow | undefined {
  return readVisible(store, type, id, scope);
}
