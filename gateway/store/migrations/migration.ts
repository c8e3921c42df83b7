import type Database from 'better-sqlite3';

export interface Migration {
  /** Strictly increasing; stored in PRAGMA user_version after the migration ran. */
  version: number;
  name: string;
  up(db: Database.Database): void;
}
