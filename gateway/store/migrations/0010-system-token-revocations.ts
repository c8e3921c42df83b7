import type { Migration } from './migration.ts';

// Revoked access tokens of system clients (operator API, RFC 7009 /revoke). Those tokens are JWTs that live a
// few minutes and have no grant behind them, so a revocation is kept by the token's jti until the token would
// have expired anyway; every operator API request looks its jti up here.
export const systemTokenRevocations: Migration = {
  version: 10,
  name: 'system-token-revocations',
  up(db) {
    db.exec(`
      CREATE TABLE system_token_revocations (
        jti        TEXT PRIMARY KEY,      -- of the revoked access token
        client_id  TEXT NOT NULL,         -- the system client it was issued to
        revoked_ms INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL       -- the token's exp: the row may go after it
      ) STRICT;
      CREATE INDEX system_token_revocations_expiry ON system_token_revocations (expires_ms);
    `);
  },
};
