import type { Migration } from './migration.ts';

// Core schema: devices as they appear on the wire, the readings they produced (raw kept), patients and
// device assignments, and the FHIR resources rendered from the readings.
const CORE_SQL = `
      CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value BLOB NOT NULL
      ) STRICT;

      CREATE TABLE devices (
        id            INTEGER PRIMARY KEY,
        key           TEXT NOT NULL UNIQUE,
        transport     TEXT NOT NULL,
        kind          TEXT NOT NULL CHECK (kind IN ('cgm', 'bgm')),
        manufacturer  TEXT,
        model         TEXT,
        serial_number TEXT,
        name          TEXT,
        first_seen_ms INTEGER NOT NULL,
        last_seen_ms  INTEGER NOT NULL
      ) STRICT;

      -- One row per FHIR Device: a BG meter has one, a CGM one per sensor session.
      CREATE TABLE device_sessions (
        id            INTEGER PRIMARY KEY,
        device_id     INTEGER NOT NULL REFERENCES devices(id),
        started_at    TEXT NOT NULL,            -- '' for devices without sessions
        expires_at    TEXT,
        interval_s    INTEGER,
        lower_limit   REAL,
        upper_limit   REAL,
        unit          TEXT NOT NULL,
        calibration_state TEXT,
        calibration_time  TEXT,
        device_fhir_id TEXT NOT NULL UNIQUE,
        metric_fhir_id TEXT NOT NULL UNIQUE,
        UNIQUE (device_id, started_at)
      ) STRICT;

      CREATE TABLE readings (
        id              INTEGER PRIMARY KEY,
        device_id       INTEGER NOT NULL REFERENCES devices(id),
        session_id      INTEGER NOT NULL REFERENCES device_sessions(id),
        identity        TEXT NOT NULL,
        record_number   INTEGER,
        value           REAL,
        unit            TEXT NOT NULL,
        flag            TEXT,
        flag_reason     TEXT,
        specimen        TEXT NOT NULL,
        device_time     TEXT NOT NULL,
        received_ms     INTEGER NOT NULL,
        effective_ms    INTEGER NOT NULL,
        clock_offset_ms INTEGER NOT NULL,
        control         INTEGER NOT NULL DEFAULT 0,
        raw             TEXT NOT NULL,
        UNIQUE (device_id, identity)
      ) STRICT;
      CREATE INDEX readings_session_time ON readings (session_id, effective_ms);
      CREATE INDEX readings_device_record ON readings (device_id, record_number);

      CREATE TABLE patients (
        id          TEXT PRIMARY KEY,          -- random, internal; never leaves the gateway
        username    TEXT NOT NULL UNIQUE,
        created_ms  INTEGER NOT NULL,
        removed_ms  INTEGER
      ) STRICT;

      CREATE TABLE device_assignments (
        device_key  TEXT PRIMARY KEY,
        patient_id  TEXT NOT NULL REFERENCES patients(id),
        assigned_ms INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX device_assignments_patient ON device_assignments (patient_id);

      -- The current version of every FHIR resource served (Observation, Device, DeviceMetric),
      -- with the columns search needs. On a recorder the same table is filled from MQTT.
      CREATE TABLE resources (
        type            TEXT NOT NULL,
        id              TEXT NOT NULL,
        version         INTEGER NOT NULL,
        last_updated_ms INTEGER NOT NULL,
        device_key      TEXT NOT NULL,          -- decides the patient via device_assignments
        code            TEXT,                   -- Observation LOINC code / Device SNOMED type / DeviceMetric MDC type
        effective_start_ms INTEGER,
        effective_end_ms   INTEGER,
        value           REAL,                   -- blood glucose value-quantity search
        unit            TEXT,
        ref             TEXT,                   -- Observation.device / DeviceMetric.source reference
        status          TEXT,
        json            TEXT NOT NULL,
        PRIMARY KEY (type, id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX resources_device_effective ON resources (device_key, type, effective_start_ms);
      CREATE INDEX resources_last_updated ON resources (type, last_updated_ms);
      CREATE INDEX resources_ref ON resources (ref);

      -- Earlier versions of Device and DeviceMetric, for vread.
      CREATE TABLE resource_history (
        type            TEXT NOT NULL,
        id              TEXT NOT NULL,
        version         INTEGER NOT NULL,
        last_updated_ms INTEGER NOT NULL,
        json            TEXT NOT NULL,
        PRIMARY KEY (type, id, version)
      ) STRICT, WITHOUT ROWID;

      -- CGM chunks: one Observation per DeviceMetric and fixed period.
      CREATE TABLE cgm_chunks (
        id          INTEGER PRIMARY KEY,
        session_id  INTEGER NOT NULL REFERENCES device_sessions(id),
        start_ms    INTEGER NOT NULL,
        end_ms      INTEGER NOT NULL,
        fhir_id     TEXT NOT NULL UNIQUE,
        status      TEXT NOT NULL CHECK (status IN ('preliminary', 'final')),
        UNIQUE (session_id, start_ms)
      ) STRICT;
      CREATE INDEX cgm_chunks_open ON cgm_chunks (status, end_ms);
    `;

export const coreSchema: Migration = {
  version: 1,
  name: 'core',
  up(db) {
    db.exec(CORE_SQL);
  },
};
