import type { Migration } from './migration.ts';

// The head of the HDDT request log (server/audit/request-log.ts), one row per daily file, kept outside the log
// files so that cutting lines off the end of a file or deleting a whole file shows in `logs verify`. A file that
// retention deleted on purpose keeps its row with `pruned_ms` set: the record that it was deleted, and the
// checksum its successor chains to.
export const requestLogHead: Migration = {
  version: 11,
  name: 'request-log-head',
  up(db) {
    db.exec(`
      CREATE TABLE request_log_days (
        day           TEXT PRIMARY KEY,     -- UTC day of the file requests-<day>.jsonl
        first_seq     INTEGER NOT NULL,     -- sequence number of the file's first line
        last_seq      INTEGER NOT NULL,     -- of the last line known to be written
        last_checksum TEXT NOT NULL,        -- HMAC of that line
        bytes         INTEGER NOT NULL,     -- file size after it
        updated_ms    INTEGER NOT NULL,
        pruned_ms     INTEGER               -- set when retention deleted the file
      ) STRICT;
    `);
  },
};
