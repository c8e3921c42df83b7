// The recorder's PostgreSQL connection pool (node-postgres). BIGINT columns (epoch milliseconds, sequence
// numbers, row ids) come back as numbers, not strings: every value they hold is far below 2^53. An idle pooled
// connection the server drops (restart, failover) only evicts that connection; the next query opens a new one.
import pg from 'pg';
import type { Logger } from 'pino';
import { GatewayError } from '../../../lib/errors.ts';

export class PgStoreError extends GatewayError {
  declare readonly code: 'ERR_STORE_UNAVAILABLE' | 'ERR_STORE_SCHEMA';
  constructor(code: PgStoreError['code'], message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export interface PgConnectionOptions {
  url: string;
  /** Connections in the pool: one consumer applies one batch at a time, so a few are plenty. */
  poolSize?: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
  log?: Logger;
}

const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

/** The URL without its password, for logs and error messages. */
export function safePgUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return '(invalid url)';
  }
}

export function openPool(opts: PgConnectionOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize ?? 4,
    application_name: opts.applicationName ?? 'hddt-recorder',
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    types,
  });
  // Without a listener an idle connection's error (the server went away) would end the process.
  pool.on('error', (err) => opts.log?.warn({ err: err.message }, 'postgres connection lost'));
  return pool;
}
