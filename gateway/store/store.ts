// Opens the SQLite database, applies migrations, and hands out the one connection the process uses.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { migrations as defaultMigrations } from './migrations/index.ts';
import type { Migration } from './migrations/migration.ts';
import type { AssignmentPeriod } from './assignments.ts';
import { RowCache } from './row-cache.ts';
import type { ResourceRow } from './resources.ts';

/**
 * Where the changes that travel upward are queued, inside the transaction that made them: given to the store
 * by whoever opens it with sync on (gateway/sync/outbox-writer.ts), so every writer of the database queues
 * its changes, not only the running gateway.
 */
export interface OutboxSink {
  /** A new version of a served resource (putResource). */
  resource(row: ResourceRow): void;
  /** A new or changed assignment period. */
  period(period: AssignmentPeriod): void;
}

export interface StoreOptions {
  path: string;
  /** Extra migrations (tests); the defaults always run first. */
  migrations?: Migration[];
  readonly?: boolean;
}

/**
 * `LIMIT` on a bound parameter, written so that SQLite leaves the value to run time. SQLite (3.53, as
 * better-sqlite3 bundles it) reads the value of a LIMIT that is a bare parameter while planning and marks the statement to be
 * prepared again whenever that parameter is bound anew, which better-sqlite3 does at every run: a cached
 * statement was then prepared once per call (a FHIR page's key query: about 200 µs instead of 120). `+ 0` makes
 * the limit an expression, evaluated at run time. A test keeps bare LIMIT parameters out of the sources.
 */
export function boundLimit(param: '?' | `@${string}` = '?'): string {
  return `LIMIT ${param} + 0`;
}

export class Store {
  readonly db: Database.Database;
  readonly path: string;
  private cachedIdSecret: Buffer | undefined;
  private readonly statements = new Map<string, Database.Statement>();
  /** Set when this process writes with sync on: changes are then queued as they are made. */
  outbox: OutboxSink | undefined;
  /** Rows recently served by FHIR search, checked against the index's version (row-cache.ts). */
  readonly rowCache = new RowCache();

  constructor(db: Database.Database, filePath: string) {
    this.db = db;
    this.path = filePath;
  }

  /** Prepared statements are cached per SQL text: preparing is the slow part of a small query. */
  prepare<R = unknown>(sql: string): Database.Statement<unknown[], R> {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st as Database.Statement<unknown[], R>;
  }

  /**
   * IMMEDIATE: the write lock is taken at BEGIN, where busy_timeout waits for it. A deferred transaction that
   * read first and then writes fails at once (SQLITE_BUSY) when another process committed in between, which
   * CLI writers beside a running gateway would meet. Inside a transaction this is a savepoint, as before.
   */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** Secret behind the HMAC-derived resource ids: stable, unguessable ids without a lookup table. */
  idSecret(): Buffer {
    if (!this.cachedIdSecret) this.cachedIdSecret = this.secret('resource-id-secret', 32);
    return this.cachedIdSecret;
  }

  /** A named random secret, made on first use and kept in the database (the file is 0600). */
  secret(name: string, bytes: number): Buffer {
    const row = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(name) as
      { value: Buffer } | undefined;
    if (row) return row.value;
    const value = randomBytes(bytes);
    this.db.prepare('INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)').run(name, value);
    return (this.db.prepare('SELECT value FROM settings WHERE key = ?').get(name) as { value: Buffer }).value;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** Address space for the memory map (not memory: pages are the kernel's file cache, shared and reclaimable). */
const MMAP_BYTES = 256 * 1024 * 1024;

export function openStore(opts: StoreOptions): Store {
  const file = opts.path;
  if (file !== ':memory:') {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    if (!fs.existsSync(file)) fs.writeFileSync(file, '', { mode: 0o600 });
  }
  const db = new Database(file, { readonly: opts.readonly ?? false });
  try {
    db.pragma('journal_mode = WAL');
    // FULL: in WAL mode every commit fsyncs the WAL, so a reading is on disk when ingest() returns.
    // NORMAL would be faster but can lose the last commits on power loss, and a hub's SD card loses power.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // Reads straight from a memory map of the file instead of read() into SQLite's page cache: the MQTT drain
    // reads every queued entry's bytes once (measured: a third less CPU for the drain's reads). Writes still go
    // through write() and the WAL, so durability is unchanged; where mmap is unavailable SQLite reads as before.
    db.pragma(`mmap_size = ${MMAP_BYTES}`);
    if (!opts.readonly) migrate(db, [...defaultMigrations, ...(opts.migrations ?? [])]);
  } catch (err) {
    db.close();
    throw err;
  }
  return new Store(db, file);
}

export function migrate(db: Database.Database, list: Migration[]): void {
  const sorted = [...list].sort((a, b) => a.version - b.version);
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = sorted.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new Error(
      `database schema version ${current} is newer than this gateway knows (${latest}); refusing to open it`,
    );
  }
  for (const m of sorted) {
    if (m.version <= current) continue;
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${Number(m.version)}`);
    })();
  }
}
