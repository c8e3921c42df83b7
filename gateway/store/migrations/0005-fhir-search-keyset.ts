import type { Migration } from './migration.ts';

// Observation searches by date page in (effective_start_ms, id) order. With id right after the start in the
// index, the keyset cursor `(start, id) > (?, ?)` is an index seek and the order needs no sort, so a page
// reads about _count index entries wherever it is in the walk; period end, code and version ride along for
// the filters and the row cache. It replaces the index of migration 4 (start, end, code, version), which
// ordered ties by period end and left the cursor to a filter over everything before it.
export const fhirSearchKeyset: Migration = {
  version: 5,
  name: 'fhir-search-keyset',
  up(db) {
    db.exec(`
      CREATE INDEX resources_fhir_observation_keyset
        ON resources (device_key, type, effective_start_ms, id, effective_end_ms, code, version);
      DROP INDEX resources_fhir_observation;
    `);
  },
};
