import type { Migration } from './migration.ts';

// OAuth2 authorization server (HDDT pairing): patient credentials and browser sessions, pushed
// authorization requests, pairings with their consent, grants, authorization codes, refresh tokens, and
// the privacy audit trail. Secrets handed to clients or browsers (codes, refresh tokens, session ids) are
// stored only as SHA-256 hashes.
const OAUTH_SQL = `
      CREATE TABLE patient_credentials (
        patient_id      TEXT PRIMARY KEY REFERENCES patients(id) ON DELETE CASCADE,
        password_hash   TEXT NOT NULL,            -- scrypt$N$r$p$salt$hash
        totp_secret     TEXT,                     -- base32; NULL = not enrolled (reset)
        totp_pending    TEXT,                     -- secret shown during enrolment, not yet confirmed
        totp_last_step  INTEGER,                  -- last accepted time step (replay protection)
        failed_count    INTEGER NOT NULL DEFAULT 0,
        locked_until_ms INTEGER NOT NULL DEFAULT 0,
        updated_ms      INTEGER NOT NULL
      ) STRICT;

      -- Browser sessions of the patient pages. The cookie holds the id; only its hash is stored.
      CREATE TABLE web_sessions (
        id          INTEGER PRIMARY KEY,
        sid_hash    TEXT NOT NULL UNIQUE,
        patient_id  TEXT REFERENCES patients(id) ON DELETE CASCADE,
        stage       TEXT NOT NULL CHECK (stage IN ('anonymous', 'password', 'authenticated')),
        created_ms  INTEGER NOT NULL,
        seen_ms     INTEGER NOT NULL,
        expires_ms  INTEGER NOT NULL
      ) STRICT;

      -- Pushed authorization requests (RFC 9126): single use, short-lived.
      CREATE TABLE oauth_par (
        request_uri    TEXT PRIMARY KEY,
        client_id      TEXT NOT NULL,
        redirect_uri   TEXT NOT NULL,
        scope          TEXT NOT NULL,
        state          TEXT,
        code_challenge TEXT NOT NULL,
        created_ms     INTEGER NOT NULL,
        expires_ms     INTEGER NOT NULL,
        used_ms        INTEGER
      ) STRICT;

      -- An authorization in progress in one browser session (after /authorize consumed the request_uri).
      CREATE TABLE oauth_transactions (
        id_hash        TEXT PRIMARY KEY,
        session_id     INTEGER NOT NULL REFERENCES web_sessions(id) ON DELETE CASCADE,
        client_id      TEXT NOT NULL,
        redirect_uri   TEXT NOT NULL,
        scope          TEXT NOT NULL,
        state          TEXT,
        code_challenge TEXT NOT NULL,
        created_ms     INTEGER NOT NULL,
        expires_ms     INTEGER NOT NULL,
        done_ms        INTEGER
      ) STRICT;

      -- One pairing per patient and DiGA; the id is an HMAC, so it is stable and reused on re-consent.
      -- The consent (which MIVs, until when) lives on the pairing.
      CREATE TABLE pairings (
        pairing_id         TEXT PRIMARY KEY,
        patient_id         TEXT NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
        client_id          TEXT NOT NULL,
        created_ms         INTEGER NOT NULL,
        consent_mivs       TEXT NOT NULL,        -- JSON array of MIV names
        consent_granted_ms INTEGER NOT NULL,
        consent_expires_ms INTEGER NOT NULL,
        revoked_ms         INTEGER,
        revoked_reason     TEXT,
        UNIQUE (patient_id, client_id)
      ) STRICT;
      CREATE INDEX pairings_client ON pairings (client_id);

      CREATE TABLE oauth_grants (
        id            TEXT PRIMARY KEY,
        pairing_id    TEXT NOT NULL REFERENCES pairings(pairing_id) ON DELETE CASCADE,
        client_id     TEXT NOT NULL,
        patient_id    TEXT NOT NULL,
        scope         TEXT NOT NULL,
        created_ms    INTEGER NOT NULL,
        expires_ms    INTEGER NOT NULL,          -- = end of the consent
        activated_ms  INTEGER,                   -- set when the code is exchanged
        revoked_ms    INTEGER,
        revoked_reason TEXT
      ) STRICT;
      CREATE INDEX oauth_grants_pairing ON oauth_grants (pairing_id);
      CREATE INDEX oauth_grants_client ON oauth_grants (client_id, revoked_ms);

      CREATE TABLE oauth_codes (
        code_hash      TEXT PRIMARY KEY,
        grant_id       TEXT NOT NULL REFERENCES oauth_grants(id) ON DELETE CASCADE,
        client_id      TEXT NOT NULL,
        redirect_uri   TEXT NOT NULL,
        code_challenge TEXT NOT NULL,
        created_ms     INTEGER NOT NULL,
        expires_ms     INTEGER NOT NULL,
        used_ms        INTEGER
      ) STRICT;

      CREATE TABLE oauth_refresh_tokens (
        token_hash  TEXT PRIMARY KEY,
        grant_id    TEXT NOT NULL REFERENCES oauth_grants(id) ON DELETE CASCADE,
        client_id   TEXT NOT NULL,
        created_ms  INTEGER NOT NULL,
        expires_ms  INTEGER NOT NULL,
        rotated_ms  INTEGER                      -- set when used; presenting it again revokes the grant
      ) STRICT;
      CREATE INDEX oauth_refresh_tokens_grant ON oauth_refresh_tokens (grant_id);

      -- Privacy audit trail (HDDT: pairing, unpairing, failed attempts, unauthorized access, logins).
      -- Append-only and hash-chained: hash = SHA-256(prev_hash || canonical entry).
      CREATE TABLE privacy_audit (
        seq          INTEGER PRIMARY KEY,
        at_ms        INTEGER NOT NULL,
        event        TEXT NOT NULL,
        outcome      TEXT NOT NULL,
        patient_ref  TEXT,                       -- pseudonymous (HMAC of the internal id)
        pairing_id   TEXT,
        client_id    TEXT,
        reason       TEXT,
        prev_hash    TEXT NOT NULL,
        hash         TEXT NOT NULL
      ) STRICT;
      CREATE INDEX privacy_audit_patient ON privacy_audit (patient_ref, seq);
      CREATE INDEX privacy_audit_time ON privacy_audit (at_ms);
      CREATE TRIGGER privacy_audit_no_update BEFORE UPDATE ON privacy_audit
      BEGIN
        SELECT RAISE(ABORT, 'privacy_audit is append-only');
      END;
    `;

export const oauthSchema: Migration = {
  version: 2,
  name: 'oauth',
  up(db) {
    db.exec(OAUTH_SQL);
  },
};
