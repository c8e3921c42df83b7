import type { PgMigration } from './migration.ts';

// What the recorder's consumers write, as the SQLite store keeps it (gateway/store/migrations 1, 3 and 8): the
// served resources with their search columns, Device/DeviceMetric history, patients (pseudonymous, made on
// first sight), assignment periods, and the sync bookkeeping (applied ranges, stream floors, version 1
// assignment order, parked payloads). Keys and search columns collate "C" (byte order), as SQLite compares text,
// so keyset paging orders rows the same on both stores whatever the database's locale. The hub-only columns
// (outbox queueing) are left out: a recorder publishes nothing.
const SQL = `
  CREATE TABLE settings (
    key   text COLLATE "C" PRIMARY KEY,
    value bytea NOT NULL
  );

  CREATE TABLE patients (
    id          text COLLATE "C" PRIMARY KEY,
    username    text COLLATE "C" NOT NULL UNIQUE,
    created_ms  bigint NOT NULL,
    removed_ms  bigint
  );

  CREATE TABLE resources (
    type               text COLLATE "C" NOT NULL,
    id                 text COLLATE "C" NOT NULL,
    version            integer NOT NULL,
    last_updated_ms    bigint NOT NULL,
    device_key         text COLLATE "C" NOT NULL,
    code               text COLLATE "C",
    effective_start_ms bigint,
    effective_end_ms   bigint,
    value              double precision,
    unit               text COLLATE "C",
    ref                text COLLATE "C",
    status             text COLLATE "C",
    json               text NOT NULL,
    PRIMARY KEY (type, id)
  );
  CREATE INDEX resources_fhir_observation ON resources (device_key, type, effective_start_ms, id);
  CREATE INDEX resources_last_updated ON resources (type, last_updated_ms);
  CREATE INDEX resources_ref ON resources (ref);

  CREATE TABLE resource_history (
    type            text COLLATE "C" NOT NULL,
    id              text COLLATE "C" NOT NULL,
    version         integer NOT NULL,
    last_updated_ms bigint NOT NULL,
    json            text NOT NULL,
    PRIMARY KEY (type, id, version)
  );

  CREATE TABLE device_assignment_periods (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_key  text COLLATE "C" NOT NULL,
    patient_id  text COLLATE "C" NOT NULL REFERENCES patients(id),
    from_ms     bigint NOT NULL,
    until_ms    bigint,
    CHECK (until_ms IS NULL OR until_ms >= from_ms),
    UNIQUE (device_key, patient_id, from_ms)
  );
  CREATE INDEX device_assignment_periods_patient ON device_assignment_periods (patient_id, device_key);
  CREATE INDEX device_assignment_periods_device ON device_assignment_periods (device_key, from_ms);
  -- One open period per device.
  CREATE UNIQUE INDEX device_assignment_periods_open ON device_assignment_periods (device_key)
    WHERE until_ms IS NULL;
  CREATE VIEW device_assignments AS
    SELECT device_key, patient_id, from_ms AS assigned_ms FROM device_assignment_periods WHERE until_ms IS NULL;
  -- Where a period's visibility ends: its own end, or where the device's next period begins.
  CREATE VIEW assignment_windows AS
    SELECT p.device_key, p.patient_id, p.from_ms,
      coalesce(p.until_ms, (SELECT min(q.from_ms) FROM device_assignment_periods q
                            WHERE q.device_key = p.device_key AND q.from_ms > p.from_ms)) AS until_ms
    FROM device_assignment_periods p;

  -- Applied sequence ranges per gateway stream (merged, disjoint).
  CREATE TABLE sync_ranges (
    gateway_id  text COLLATE "C" NOT NULL,
    stream      text COLLATE "C" NOT NULL,
    seq_from    bigint NOT NULL,
    seq_to      bigint NOT NULL,
    PRIMARY KEY (gateway_id, stream, seq_from)
  );

  -- Per gateway stream: the lowest sequence the gateway still holds, and when it was last heard.
  CREATE TABLE sync_streams (
    gateway_id    text COLLATE "C" NOT NULL,
    stream        text COLLATE "C" NOT NULL,
    floor         bigint NOT NULL,
    last_batch_ms bigint NOT NULL,
    PRIMARY KEY (gateway_id, stream)
  );

  -- The version 1 assignment that last set a device's period (so an older one never wins).
  CREATE TABLE sync_assignment_seq (
    device_key  text COLLATE "C" PRIMARY KEY,
    stream      text COLLATE "C" NOT NULL,
    seq         bigint NOT NULL,
    at_ms       bigint NOT NULL
  );

  -- Payloads that could not be decoded or applied, kept for inspection instead of dropped.
  CREATE TABLE sync_parked (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_ms bigint NOT NULL,
    topic       text NOT NULL,
    reason      text NOT NULL,
    payload     bytea NOT NULL
  );
`;

export const recorderInbox: PgMigration = { version: 1, name: 'recorder-inbox', sql: SQL };
