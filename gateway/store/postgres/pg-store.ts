// Opening the recorder's PostgreSQL: a pool, the schema brought up to date, and the inbox the consumer writes
// through. A server that cannot be reached at start is a clear error naming the server (never its password).
import type pg from 'pg';
import type { Logger } from 'pino';
import { openPool, PgStoreError, safePgUrl } from './connection.ts';
import { PgInbox } from './inbox.ts';
import { migratePg } from './migrate.ts';
import type { PgMigration } from './migrations/migration.ts';

export interface PgStoreOptions {
  url: string;
  poolSize?: number;
  applicationName?: string;
  log?: Logger;
  /** Another migration list (tests). */
  migrations?: PgMigration[];
}

export interface PgStore {
  readonly pool: pg.Pool;
  readonly inbox: PgInbox;
  /** The schema version the database is at. */
  readonly schemaVersion: number;
  close(): Promise<void>;
}

export async function openPgStore(opts: PgStoreOptions): Promise<PgStore> {
  const pool = openPool(opts);
  let schemaVersion: number;
  try {
    schemaVersion = await migratePg(pool, opts.migrations);
  } catch (err) {
    await pool.end().catch(() => undefined);
    if (err instanceof PgStoreError) throw err;
    throw new PgStoreError(
      'ERR_STORE_UNAVAILABLE',
      `cannot open the PostgreSQL store at ${safePgUrl(opts.url)}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const inbox = new PgInbox(pool);
  return {
    pool,
    inbox,
    schemaVersion,
    async close() {
      inbox.markClosed();
      await pool.end();
    },
  };
}
