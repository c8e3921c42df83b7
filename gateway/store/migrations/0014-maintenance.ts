import type { Migration } from './migration.ts';

// Maintenance windows (HDDT §4.6): announced ahead (planned), started and ended by the operator with
// `hddt-gateway maintenance`. The running server reads them for its status feed and answers the affected
// endpoints with 503 while one is in progress.
export const maintenanceWindows: Migration = {
  version: 14,
  name: 'maintenance-windows',
  up(db) {
    db.exec(`
      CREATE TABLE maintenance_windows (
        id           TEXT PRIMARY KEY,      -- mw-<random>, what the commands and the feed name it by
        cause        TEXT NOT NULL,
        areas        TEXT NOT NULL,         -- JSON list of affected areas: fhir, oauth, account
        security     INTEGER NOT NULL,      -- 1: a security fix (no 5-day notice needed)
        announced_ms INTEGER NOT NULL,
        start_ms     INTEGER NOT NULL,      -- planned start (the actual start once started)
        end_ms       INTEGER,               -- planned end; NULL: not known
        started_ms   INTEGER,
        ended_ms     INTEGER
      ) STRICT;
      CREATE INDEX maintenance_windows_open ON maintenance_windows (ended_ms, start_ms);
    `);
  },
};
