// Named INSERTs: the columns are listed once, as a constant beside the row type, and bound by name from the
// row object (better-sqlite3 ignores the row's other keys), so no statement repeats its columns positionally.
import type Database from 'better-sqlite3';
import type { Store } from './store.ts';

const NAME = /^[a-z_][a-z0-9_]*$/;

/** `INSERT INTO table (c1, c2…) VALUES (@c1, @c2…)`; `table` and `columns` are constants of the caller. */
export function insertRow<R extends object>(
  store: Store,
  table: string,
  columns: readonly (keyof R & string)[],
  row: R,
): Database.RunResult {
  for (const name of [table, ...columns]) if (!NAME.test(name)) throw new Error(`not an SQL name: ${name}`);
  const sql = `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`;
  return store.prepare(sql).run(row);
}
