// The PostgreSQL schema steps, in order. A new step is a new file here, registered in this list.
import { recorderInbox } from './0001-recorder-inbox.ts';
import type { PgMigration } from './migration.ts';

export const pgMigrations: PgMigration[] = [recorderInbox];
