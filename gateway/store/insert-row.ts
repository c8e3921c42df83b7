// Named INSERTs: the columns are listed once, beside the row type, and bound by name from the row object
// (better-sqlite3 ignores the row's other keys), so no statement repeats its columns positionally. The SQL is
// built and its names checked once, when the module defining the insert loads.
import type Database from 'better-sqlite3';
import type { Store } from './store.ts';

const NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * A function running `INSERT INTO table (c1, c2…) VALUES (@c1, @c2…)` with a row's values; `tail` is fixed
 * SQL after it (an ON CONFLICT clause of an upsert), never input.
 */
export function namedInsert<R extends object>(
  table: string,
  columns: readonly (keyof R & string)[],
  tail = '',
): (store: Store, row: R) => Database.RunResult {
  for (const name of [table, ...columns]) if (!NAME.test(name)) throw new Error(`not an SQL name: ${name}`);
  const values = columns.map((c) => `@${c}`).join(', ');
  const sql = `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${values})${tail ? ` ${tail}` : ''}`;
  return (store, row) => store.prepare(sql).run(row);
}
