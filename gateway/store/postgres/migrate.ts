// Brings a PostgreSQL database to the schema this build knows. Several processes may start at once (a consumer
// fleet): the migration transaction first takes an advisory lock, so one of them migrates and the others then
// find nothing left to do. DDL is transactional in PostgreSQL: a failed step leaves the schema as it was.
import type pg from 'pg';
import { PgStoreError } from './connection.ts';
import type { PgMigration } from './migrations/migration.ts';
import { pgMigrations } from './migrations/index.ts';

/** Advisory lock key of schema migrations ("hddtmigr" in ASCII). */
const MIGRATION_LOCK = '7522247728830179186';

export async function migratePg(pool: pg.Pool, list: PgMigration[] = pgMigrations): Promise<number> {
  const sorted = [...list].sort((a, b) => a.version - b.version);
  const latest = sorted.at(-1)?.version ?? 0;
  const c = await pool.connect();
  const onError = () => undefined; // the query in flight rejects; without a listener the process would end
  c.on('error', onError);
  try {
    await c.query('BEGIN');
    await c.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK}::bigint)`);
    await c.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_ms bigint NOT NULL)`);
    const res = await c.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
    const current = res.rows[0]?.v ?? 0;
    if (current > latest) {
      throw new PgStoreError(
        'ERR_STORE_SCHEMA',
        `database schema version ${current} is newer than this gateway knows (${latest}); refusing to use it`,
      );
    }
    for (const m of sorted) {
      if (m.version <= current) continue;
      await c.query(m.sql);
      await c.query('INSERT INTO schema_migrations (version, name, applied_ms) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        Date.now(),
      ]);
    }
    await c.query('COMMIT');
    return latest;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.off('error', onError);
    c.release(true);
  }
}
