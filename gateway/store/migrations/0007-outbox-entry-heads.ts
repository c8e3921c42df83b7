import type { Migration } from './migration.ts';

// Outbox entries carry their wire bytes, made once when queued: `head` is the entry in the publisher's
// payload format (`head_format`) without the resource JSON, which follows it as stored. The drain then joins
// the stored bytes of a batch in one statement instead of reading every column of every entry and encoding
// it again (reading the 17 columns cost more than publishing the message). Entries queued before, or in the
// other format, have no usable head and are encoded from their columns as before.
export const outboxEntryHeads: Migration = {
  version: 7,
  name: 'outbox-entry-heads',
  up(db) {
    db.exec(`
      ALTER TABLE outbox ADD COLUMN head BLOB;
      ALTER TABLE outbox ADD COLUMN head_format TEXT CHECK (head_format IN ('cbor', 'json'));
    `);
  },
};
