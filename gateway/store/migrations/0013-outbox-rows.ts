import type { Migration } from './migration.ts';

// The outbox keeps rows, the sync encodes them: the wire bytes queued with each entry (migration 7) go. They
// saved microseconds per entry on the drain (the bench's hub-scale figures are in docs/mqtt.md), and tied the
// table to the MQTT payload format. Entries queued with heads are sent as before: encoded from their columns.
export const outboxRows: Migration = {
  version: 13,
  name: 'outbox-rows',
  up(db) {
    db.exec(`
      ALTER TABLE outbox DROP COLUMN head;
      ALTER TABLE outbox DROP COLUMN head_format;
    `);
  },
};
