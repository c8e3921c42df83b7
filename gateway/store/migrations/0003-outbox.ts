import type { Migration } from './migration.ts';

// MQTT sync. Hub side: the outbox, written in the same transaction as each change that must go upward.
// Recorder side: which sequence ranges of which gateway stream were applied, and payloads that failed to decode.
export const outboxSchema: Migration = {
  version: 3,
  name: 'outbox',
  up(db) {
    db.exec(`
      -- AUTOINCREMENT: a sequence number is never reused, even after the rows below it were pruned.
      CREATE TABLE outbox (
        seq             INTEGER PRIMARY KEY AUTOINCREMENT,
        created_ms      INTEGER NOT NULL,
        kind            TEXT NOT NULL CHECK (kind IN ('resource', 'assignment')),
        device_key      TEXT NOT NULL,
        res_type        TEXT,
        res_id          TEXT,
        version         INTEGER,
        last_updated_ms INTEGER,
        code            TEXT,
        effective_start_ms INTEGER,
        effective_end_ms   INTEGER,
        value           REAL,
        unit            TEXT,
        ref             TEXT,
        status          TEXT,
        json            TEXT,
        patient         TEXT,                   -- pseudonymous handle, never the patient id
        at_ms           INTEGER,
        sent_ms         INTEGER                 -- set after the broker acknowledged the message (PUBACK)
      ) STRICT;
      CREATE INDEX outbox_unsent ON outbox (seq) WHERE sent_ms IS NULL;
      CREATE INDEX outbox_sent ON outbox (seq) WHERE sent_ms IS NOT NULL;
      -- Small index: COUNT(*) and the oldest entry for the cap policy without reading the JSON pages.
      CREATE INDEX outbox_created ON outbox (created_ms);

      -- Recorder: applied sequence ranges per gateway stream (merged, disjoint).
      CREATE TABLE sync_ranges (
        gateway_id  TEXT NOT NULL,
        stream      TEXT NOT NULL,
        seq_from    INTEGER NOT NULL,
        seq_to      INTEGER NOT NULL,
        PRIMARY KEY (gateway_id, stream, seq_from)
      ) STRICT, WITHOUT ROWID;

      -- Recorder: per gateway stream, the lowest sequence the gateway still holds and when it was last heard.
      CREATE TABLE sync_streams (
        gateway_id    TEXT NOT NULL,
        stream        TEXT NOT NULL,
        floor         INTEGER NOT NULL,
        last_batch_ms INTEGER NOT NULL,
        PRIMARY KEY (gateway_id, stream)
      ) STRICT, WITHOUT ROWID;

      -- Recorder: the outbox entry that last set a device's assignment (so an older one never wins).
      CREATE TABLE sync_assignment_seq (
        device_key  TEXT PRIMARY KEY,
        stream      TEXT NOT NULL,
        seq         INTEGER NOT NULL,
        at_ms       INTEGER NOT NULL
      ) STRICT;

      -- Recorder: payloads that could not be decoded or applied, kept for inspection instead of dropped.
      CREATE TABLE sync_parked (
        id          INTEGER PRIMARY KEY,
        received_ms INTEGER NOT NULL,
        topic       TEXT NOT NULL,
        reason      TEXT NOT NULL,
        payload     BLOB NOT NULL
      ) STRICT;
    `);
  },
};
