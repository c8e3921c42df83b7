import type { Migration } from './migration.ts';

// A covering index for Observation searches by device and date: the keyset scan reads code, period and
// version from the index alone (the primary key id rides along), so a page touches the table only for the
// JSON of the rows it returns.
export const fhirSearchIndex: Migration = {
  version: 4,
  name: 'fhir-search',
  up(db) {
    db.exec(`
      CREATE INDEX resources_fhir_observation
        ON resources (device_key, type, effective_start_ms, effective_end_ms, code, version);
    `);
  },
};
