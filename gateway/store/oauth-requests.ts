// Short-lived authorization artefacts: pushed authorization requests (RFC 9126), the authorization
// transaction a browser session works on, and authorization codes (stored hashed).
import { namedInsert } from './insert-row.ts';
import type { Store } from './store.ts';

export interface ParRow {
  request_uri: string;
  client_id: string;
  redirect_uri: string;
  scope: string;
  state: string | null;
  code_challenge: string;
  created_ms: number;
  expires_ms: number;
  used_ms: number | null;
}

type NewPar = Omit<ParRow, 'used_ms'>;

export const insertPar: (store: Store, row: NewPar) => void = namedInsert<NewPar>('oauth_par', [
  'request_uri',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'code_challenge',
  'created_ms',
  'expires_ms',
]);

export function getPar(store: Store, requestUri: string): ParRow | undefined {
  return store.prepare<ParRow>('SELECT * FROM oauth_par WHERE request_uri = ?').get(requestUri);
}

/** Marks the request used; false when someone else used it first. */
export function markParUsed(store: Store, requestUri: string, nowMs: number): boolean {
  return (
    store
      .prepare('UPDATE oauth_par SET used_ms = ? WHERE request_uri = ? AND used_ms IS NULL')
      .run(nowMs, requestUri).changes === 1
  );
}

export interface TransactionRow {
  id_hash: string;
  session_id: number;
  client_id: string;
  redirect_uri: string;
  scope: string;
  state: string | null;
  code_challenge: string;
  created_ms: number;
  expires_ms: number;
  done_ms: number | null;
}

type NewTransaction = Omit<TransactionRow, 'done_ms'>;

export const insertTransaction: (store: Store, row: NewTransaction) => void = namedInsert<NewTransaction>(
  'oauth_transactions',
  [
    'id_hash',
    'session_id',
    'client_id',
    'redirect_uri',
    'scope',
    'state',
    'code_challenge',
    'created_ms',
    'expires_ms',
  ],
);

export function getTransaction(store: Store, idHash: string): TransactionRow | undefined {
  return store.prepare<TransactionRow>('SELECT * FROM oauth_transactions WHERE id_hash = ?').get(idHash);
}

export function finishTransaction(store: Store, idHash: string, nowMs: number): boolean {
  return (
    store
      .prepare('UPDATE oauth_transactions SET done_ms = ? WHERE id_hash = ? AND done_ms IS NULL')
      .run(nowMs, idHash).changes === 1
  );
}

export interface CodeRow {
  code_hash: string;
  grant_id: string;
  client_id: string;
  redirect_uri: string;
  code_challenge: string;
  created_ms: number;
  expires_ms: number;
  used_ms: number | null;
}

type NewCode = Omit<CodeRow, 'used_ms'>;

export const insertCode: (store: Store, row: NewCode) => void = namedInsert<NewCode>('oauth_codes', [
  'code_hash',
  'grant_id',
  'client_id',
  'redirect_uri',
  'code_challenge',
  'created_ms',
  'expires_ms',
]);

export function getCode(store: Store, codeHash: string): CodeRow | undefined {
  return store.prepare<CodeRow>('SELECT * FROM oauth_codes WHERE code_hash = ?').get(codeHash);
}

export function markCodeUsed(store: Store, codeHash: string, nowMs: number): boolean {
  return (
    store
      .prepare('UPDATE oauth_codes SET used_ms = ? WHERE code_hash = ? AND used_ms IS NULL')
      .run(nowMs, codeHash).changes === 1
  );
}

/** Removes expired requests, transactions and codes (grants and tokens stay for their own lifetime). */
export function deleteExpiredRequests(store: Store, beforeMs: number): void {
  store.prepare('DELETE FROM oauth_par WHERE expires_ms < ?').run(beforeMs);
  store.prepare('DELETE FROM oauth_transactions WHERE expires_ms < ?').run(beforeMs);
  store.prepare('DELETE FROM oauth_codes WHERE expires_ms < ?').run(beforeMs);
}
