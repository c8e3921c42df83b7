// Resource ids: HMAC-SHA256 of what identifies the resource, under a per-gateway secret. Stable across
// re-ingest and restarts, unguessable from outside, no lookup table, and valid FHIR ids ([A-Za-z0-9-.]{1,64}).
import { createHmac } from 'node:crypto';

export function resourceId(secret: Buffer, ...parts: string[]): string {
  const h = createHmac('sha256', secret);
  for (const p of parts) h.update(p).update('\u0000');
  return h.digest('hex').slice(0, 32);
}
