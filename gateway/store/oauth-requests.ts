// Short-lived authorization artefacts: pushed authorization requests (RFC 9126), the authorization
// transaction a browser session works on, and authorization codes (stored hashed). Each is used at most once:
// the first use sets its timestamp column, a second finds it set.
import { namedInsert } from './insert-row.ts';
import type { Store } from './store.ts';

/** What a PAR request fixes and the transaction and the code carry on (the code without scope and state). */
interface RequestFields {
  client_id: string;
  redirect_uri: string;
  scope: string;
  state: string | null;
  code_challenge: string;
  created_ms: number;
  expires_ms: number;
}

const REQUEST_COLUMNS = [
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'code_challenge',
  'created_ms',
  'expires_ms',
] as const satisfies readonly (keyof RequestFields)[];

export interface ParRow extends RequestFields {
  request_uri: string;
  used_ms: number | null;
}

export interface TransactionRow extends RequestFields {
  id_hash: string;
  session_id: number;
  done_ms: number | null;
}

export interface CodeRow extends Omit<RequestFields, 'scope' | 'state'> {
  code_hash: string;
  grant_id: string;
  used_ms: number | null;
}

type NewPar = Omit<ParRow, 'used_ms'>;
type NewTransaction = Omit<TransactionRow, 'done_ms'>;
type NewCode = Omit<CodeRow, 'used_ms'>;

export const insertPar: (store: Store, row: NewPar) => void = namedInsert<NewPar>('oauth_par', [
  'request_uri',
  ...REQUEST_COLUMNS,
]);

export const insertTransaction: (store: Store, row: NewTransaction) => void = namedInsert<NewTransaction>(
  'oauth_transactions',
  ['id_hash', 'session_id', ...REQUEST_COLUMNS],
);

export const insertCode: (store: Store, row: NewCode) => void = namedInsert<NewCode>('oauth_codes', [
  'code_hash',
  'grant_id',
  ...REQUEST_COLUMNS.filter((c): c is Exclude<typeof c, 'scope' | 'state'> => c !== 'scope' && c !== 'state'),
]);

/** One artefact table: its key column and the column its one use sets. Names are fixed here, never input. */
interface OnceTable {
  table: string;
  key: string;
  usedColumn: string;
}

const PAR: OnceTable = { table: 'oauth_par', key: 'request_uri', usedColumn: 'used_ms' };
const TRANSACTIONS: OnceTable = { table: 'oauth_transactions', key: 'id_hash', usedColumn: 'done_ms' };
const CODES: OnceTable = { table: 'oauth_codes', key: 'code_hash', usedColumn: 'used_ms' };

function getOne<R>(store: Store, t: OnceTable, key: string): R | undefined {
  return store.prepare<R>(`SELECT * FROM ${t.table} WHERE ${t.key} = ?`).get(key);
}

/** Sets the use timestamp; false when someone used it first. */
function useOnce(store: Store, t: OnceTable, key: string, nowMs: number): boolean {
  const sql = `UPDATE ${t.table} SET ${t.usedColumn} = ? WHERE ${t.key} = ? AND ${t.usedColumn} IS NULL`;
  return store.prepare(sql).run(nowMs, key).changes === 1;
}

export const getPar = (store: Store, requestUri: string) => getOne<ParRow>(store, PAR, requestUri);
/** Marks the request used; false when someone else used it first. */
export const markParUsed = (store: Store, requestUri: string, nowMs: number) =>
  useOnce(store, PAR, requestUri, nowMs);

export const getTransaction = (store: Store, idHash: string) =>
  getOne<TransactionRow>(store, TRANSACTIONS, idHash);
export const finishTransaction = (store: Store, idHash: string, nowMs: number) =>
  useOnce(store, TRANSACTIONS, idHash, nowMs);

export const getCode = (store: Store, codeHash: string) => getOne<CodeRow>(store, CODES, codeHash);
export const markCodeUsed = (store: Store, codeHash: string, nowMs: number) =>
  useOnce(store, CODES, codeHash, nowMs);

/** Removes expired requests, transactions and codes (grants and tokens stay for their own lifetime). */
export function deleteExpiredRequests(store: Store, beforeMs: number): void {
  for (const t of [PAR, TRANSACTIONS, CODES])
    store.prepare(`DELETE FROM ${t.table} WHERE expires_ms < ?`).run(beforeMs);
}
