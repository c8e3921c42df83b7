// Resource versions of one batch on PostgreSQL, in a few statements whatever the batch's size: read the stored
// versions of its ids, decide every entry in order with apply-rules.ts (decideResource) against what is stored or
// was decided before it in the batch, then write history and the winning rows in bulk (unnest of arrays). The
// caller holds the gateway's lock, so the versions read stay current until commit; the upsert's WHERE (newer
// version, same gateway) stands behind it for an id another gateway writes at the same moment.
import type pg from 'pg';
import { decideResource, type StoredVersion } from '../apply-rules.ts';
import type { ResourceRow } from '../resources.ts';
import type { InboxBatch, InboxOutcome } from '../../sync/recorder-store.ts';

/** The stored state of an id while the batch is decided: the row in the table, or one decided in this batch. */
interface Current extends StoredVersion {
  row?: ResourceRow;
}

type HistoryRow = Pick<ResourceRow, 'type' | 'id' | 'version' | 'last_updated_ms' | 'json'>;

const keyOf = (type: string, id: string) => `${type}\u0000${id}`;

async function storedVersions(c: pg.PoolClient, rows: ResourceRow[]): Promise<Map<string, Current>> {
  const res = await c.query<{ type: string; id: string; version: number; device_key: string }>(
    `SELECT type, id, version, device_key FROM resources
     WHERE (type, id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
    [rows.map((r) => r.type), rows.map((r) => r.id)],
  );
  return new Map(
    res.rows.map((r) => [keyOf(r.type, r.id), { version: r.version, device_key: r.device_key }]),
  );
}

/** Copies stored rows into history (before they are replaced). */
async function historyOfStored(c: pg.PoolClient, keys: Array<{ type: string; id: string }>): Promise<void> {
  await c.query(
    `INSERT INTO resource_history (type, id, version, last_updated_ms, json)
     SELECT type, id, version, last_updated_ms, json FROM resources
     WHERE (type, id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
     ON CONFLICT DO NOTHING`,
    [keys.map((k) => k.type), keys.map((k) => k.id)],
  );
}

async function insertHistory(c: pg.PoolClient, rows: HistoryRow[]): Promise<void> {
  await c.query(
    `INSERT INTO resource_history (type, id, version, last_updated_ms, json)
     SELECT * FROM unnest($1::text[], $2::text[], $3::integer[], $4::bigint[], $5::text[])
     ON CONFLICT DO NOTHING`,
    [
      rows.map((r) => r.type),
      rows.map((r) => r.id),
      rows.map((r) => r.version),
      rows.map((r) => r.last_updated_ms),
      rows.map((r) => r.json),
    ],
  );
}

const COLUMNS = [
  ['type', 'text'],
  ['id', 'text'],
  ['version', 'integer'],
  ['last_updated_ms', 'bigint'],
  ['device_key', 'text'],
  ['code', 'text'],
  ['effective_start_ms', 'bigint'],
  ['effective_end_ms', 'bigint'],
  ['value', 'double precision'],
  ['unit', 'text'],
  ['ref', 'text'],
  ['status', 'text'],
  ['json', 'text'],
] as const satisfies ReadonlyArray<readonly [keyof ResourceRow, string]>;

const UPSERT = `
  INSERT INTO resources AS r (${COLUMNS.map(([c]) => c).join(', ')})
  SELECT * FROM unnest(${COLUMNS.map(([, t], i) => `$${i + 1}::${t}[]`).join(', ')})
  ON CONFLICT (type, id) DO UPDATE SET ${COLUMNS.slice(2)
    .map(([c]) => `${c} = excluded.${c}`)
    .join(', ')}
  WHERE r.version < excluded.version AND starts_with(r.device_key, $${COLUMNS.length + 1})`;

async function upsertRows(c: pg.PoolClient, rows: ResourceRow[], namespace: string): Promise<void> {
  await c.query(UPSERT, [...COLUMNS.map(([col]) => rows.map((r) => r[col])), namespace]);
}

async function parkConflicts(
  c: pg.PoolClient,
  b: InboxBatch,
  list: InboxOutcome['conflicts'],
  nowMs: number,
) {
  await c.query(
    `INSERT INTO sync_parked (received_ms, topic, reason, payload)
     SELECT $1, $2, * FROM unnest($3::text[], $4::bytea[])`,
    [nowMs, b.topic, list.map((x) => x.reason), list.map((x) => x.payload)],
  );
}

/** Applies the batch's resource entries (docs/mqtt.md, step 3). */
export async function applyResources(
  c: pg.PoolClient,
  b: InboxBatch,
  nowMs: number,
): Promise<Omit<InboxOutcome, 'duplicate'>> {
  const out: Omit<InboxOutcome, 'duplicate'> = { written: 0, olderOrSame: 0, conflicts: [] };
  if (b.resources.length === 0) return out;
  const state = await storedVersions(
    c,
    b.resources.map((r) => r.row),
  );
  const winners = new Map<string, ResourceRow>();
  const history = new Map<string, HistoryRow>();
  const storedToHistory: Array<{ type: string; id: string }> = [];
  for (const { row, payload } of b.resources) {
    const key = keyOf(row.type, row.id);
    const current = state.get(key);
    const d = decideResource(current, row, b.namespace);
    if (d.historyOfIncoming) history.set(`${key}\u0000${row.version}`, row);
    if (d.historyOfCurrent && current) {
      if (current.row) history.set(`${key}\u0000${current.version}`, current.row);
      else storedToHistory.push({ type: row.type, id: row.id });
    }
    if (d.outcome === 'written') {
      out.written++;
      state.set(key, { version: row.version, device_key: row.device_key, row });
      winners.set(key, row);
    } else if (d.outcome === 'conflict') {
      out.conflicts.push({ reason: `${row.type}/${row.id} belongs to another gateway`, payload: payload() });
    } else out.olderOrSame++;
  }
  if (storedToHistory.length) await historyOfStored(c, storedToHistory);
  if (history.size) await insertHistory(c, [...history.values()]);
  if (winners.size) await upsertRows(c, [...winners.values()], b.namespace);
  if (out.conflicts.length) await parkConflicts(c, b, out.conflicts, nowMs);
  return out;
}
