// The served FHIR resources: current version in `resources`, earlier Device/DeviceMetric versions in history.
import type { ResourceDraft, ResourceMeta } from '../hddt/resource.ts';
import { boundLimit, type Store } from './store.ts';

export type { ResourceIndex, ResourceMeta } from '../hddt/resource.ts';

export interface ResourceRow {
  type: string;
  id: string;
  version: number;
  last_updated_ms: number;
  device_key: string;
  code: string | null;
  effective_start_ms: number | null;
  effective_end_ms: number | null;
  value: number | null;
  unit: string | null;
  ref: string | null;
  status: string | null;
  json: string;
}

/** The columns of a ResourceRow (the table also keeps queued_version, which is no part of a row). */
export const RESOURCE_COLUMNS =
  'type, id, version, last_updated_ms, device_key, code, effective_start_ms, effective_end_ms, value, unit, ref, status, json';

/** The same, each qualified with a table alias. */
export const resourceColumnsOf = (alias: string): string =>
  RESOURCE_COLUMNS.split(', ')
    .map((c) => `${alias}.${c}`)
    .join(', ');

const VERSIONED_IN_HISTORY = new Set(['Device', 'DeviceMetric']);

/**
 * Writes a resource draft. A render identical to the stored one (same meta) is a no-op, so re-ingesting
 * duplicates never bumps versions; any real change gets version + 1 and lastUpdated = now. Returns the row
 * written, or null when nothing changed. Queueing it for sync is the caller's step (gateway/ingest/queue.ts).
 */
export function putResource(store: Store, draft: ResourceDraft, nowMs: number): ResourceRow | null {
  const { index, render } = draft;
  const current = store
    .prepare<Pick<ResourceRow, 'version' | 'last_updated_ms' | 'json'>>(
      'SELECT version, last_updated_ms, json FROM resources WHERE type = ? AND id = ?',
    )
    .get(index.type, index.id);
  if (current) {
    const same = JSON.stringify(render(metaOf(current.version, current.last_updated_ms)));
    if (same === current.json) return null;
    if (VERSIONED_IN_HISTORY.has(index.type)) {
      store
        .prepare(
          'INSERT OR IGNORE INTO resource_history (type, id, version, last_updated_ms, json) VALUES (?, ?, ?, ?, ?)',
        )
        .run(index.type, index.id, current.version, current.last_updated_ms, current.json);
    }
  }
  const version = (current?.version ?? 0) + 1;
  // lastUpdated must move forward even if two versions land in the same millisecond.
  const lastUpdatedMs = Math.max(nowMs, (current?.last_updated_ms ?? 0) + 1);
  const json = JSON.stringify(render(metaOf(version, lastUpdatedMs)));
  const row: ResourceRow = {
    type: index.type,
    id: index.id,
    version,
    last_updated_ms: lastUpdatedMs,
    device_key: index.deviceKey,
    code: index.code ?? null,
    effective_start_ms: index.effectiveStartMs ?? null,
    effective_end_ms: index.effectiveEndMs ?? null,
    value: index.value ?? null,
    unit: index.unit ?? null,
    ref: index.ref ?? null,
    status: index.status ?? null,
    json,
  };
  writeResourceRow(store, row);
  return row;
}

/**
 * Stores a complete row as given (also a recorder writing what a hub sent). The version that went into the
 * outbox (queued_version) is kept as it was: a new version is unqueued until markResourceQueued.
 */
export function writeResourceRow(store: Store, row: ResourceRow): void {
  store
    .prepare(
      `INSERT INTO resources (type, id, version, last_updated_ms, device_key, code, effective_start_ms,
         effective_end_ms, value, unit, ref, status, json)
       VALUES (@type, @id, @version, @last_updated_ms, @device_key, @code, @effective_start_ms,
         @effective_end_ms, @value, @unit, @ref, @status, @json)
       ON CONFLICT (type, id) DO UPDATE SET
         version = excluded.version, last_updated_ms = excluded.last_updated_ms, device_key = excluded.device_key,
         code = excluded.code, effective_start_ms = excluded.effective_start_ms,
         effective_end_ms = excluded.effective_end_ms, value = excluded.value, unit = excluded.unit,
         ref = excluded.ref, status = excluded.status, json = excluded.json`,
    )
    // Bound by name (better-sqlite3 refuses a missing one): the row's column names are the parameter names.
    .run(row);
}

/** Current versions of synced resources that never went into the outbox, oldest change first. */
export function unqueuedResources(store: Store, limit: number): ResourceRow[] {
  return store
    .prepare<ResourceRow>(
      `SELECT ${RESOURCE_COLUMNS} FROM resources
       WHERE type IN ('Observation', 'Device', 'DeviceMetric') AND queued_version IS NOT version
       ORDER BY last_updated_ms, type, id ${boundLimit()}`,
    )
    .all(limit);
}

export function markResourceQueued(store: Store, row: Pick<ResourceRow, 'type' | 'id' | 'version'>): void {
  store
    .prepare('UPDATE resources SET queued_version = ? WHERE type = ? AND id = ?')
    .run(row.version, row.type, row.id);
}

export function metaOf(version: number, lastUpdatedMs: number): ResourceMeta {
  return { versionId: String(version), lastUpdated: new Date(lastUpdatedMs).toISOString() };
}

export function getResource(store: Store, type: string, id: string): ResourceRow | undefined {
  return store
    .prepare<ResourceRow>(`SELECT ${RESOURCE_COLUMNS} FROM resources WHERE type = ? AND id = ?`)
    .get(type, id);
}

/** A specific version: the current one from `resources`, earlier ones from history. */
export function getResourceVersion(
  store: Store,
  type: string,
  id: string,
  version: number,
): { json: string; last_updated_ms: number } | undefined {
  const cur = getResource(store, type, id);
  if (cur && cur.version === version) return cur;
  return store
    .prepare<{ json: string; last_updated_ms: number }>(
      'SELECT json, last_updated_ms FROM resource_history WHERE type = ? AND id = ? AND version = ?',
    )
    .get(type, id, version);
}

export function listResources(store: Store, type?: string): ResourceRow[] {
  return type
    ? store
        .prepare<ResourceRow>(`SELECT ${RESOURCE_COLUMNS} FROM resources WHERE type = ? ORDER BY id`)
        .all(type)
    : store.prepare<ResourceRow>(`SELECT ${RESOURCE_COLUMNS} FROM resources ORDER BY type, id`).all();
}

export function parseResource<T = Record<string, unknown>>(row: { json: string }): T {
  return JSON.parse(row.json) as T;
}
