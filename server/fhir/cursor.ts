// Opaque keyset cursors for search paging: the sort value and id of the row a page continues from,
// bound to the search it belongs to and signed, so a client can neither forge nor transplant one.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Cursor } from '../../gateway/store/fhir-search.ts';

/** A stable digest of the search (every parameter except the cursor itself). */
export function searchDigest(params: ReadonlyArray<readonly [string, string]>): string {
  const canonical = params
    .filter(([k]) => k !== '_cursor' && k !== '_format' && k !== '_pretty')
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join('&');
  return createHmac('sha256', 'search').update(canonical).digest('base64url').slice(0, 16);
}

export function encodeCursor(secret: Buffer, cursor: Cursor, digest: string): string {
  const body = Buffer.from(
    JSON.stringify([cursor.dir === 'next' ? 'n' : 'p', cursor.v, cursor.id, digest]),
  ).toString('base64url');
  const mac = createHmac('sha256', secret).update(body).digest('base64url').slice(0, 22);
  return `${body}.${mac}`;
}

/** The cursor, or null when it is malformed, forged or from another search. */
export function decodeCursor(secret: Buffer, text: string, digest: string): Cursor | null {
  const dot = text.indexOf('.');
  if (dot < 0) return null;
  const body = text.slice(0, dot);
  const mac = Buffer.from(text.slice(dot + 1));
  const expected = Buffer.from(createHmac('sha256', secret).update(body).digest('base64url').slice(0, 22));
  if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 4) return null;
  const [d, v, id, h] = parsed as unknown[];
  if ((d !== 'n' && d !== 'p') || typeof id !== 'string' || h !== digest) return null;
  if (typeof v !== 'number' && typeof v !== 'string') return null;
  return { dir: d === 'n' ? 'next' : 'prev', v, id };
}
