// A PostgreSQL schema step: its SQL, run once in the migration transaction (migrate.ts).
export interface PgMigration {
  version: number;
  name: string;
  sql: string;
}
