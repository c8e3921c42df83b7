import type { Migration } from './migration.ts';

// Device assignments get periods, and every change that must travel upward remembers whether it was queued.
//
// - `device_assignment_periods`: a device belongs to a patient from `from_ms` until `until_ms` (NULL: still
//   open). An Observation is the patient's only inside one of them, so reassigning a meter no longer hands
//   its history to the next patient. Today's rows become open periods from 0: before periods, an assignment
//   covered the device's whole history, and a migration must not take data away from a DiGA that sees it.
//   `device_assignments` stays as a view of the open periods for readers of "who has the device now".
// - `queued_rev` / `queued_version`: which revision of a period and which version of a resource went into
//   the outbox. A writer with sync on sets them in the transaction of the change; at start the gateway queues
//   whatever an earlier version (or a writer with sync off) left unqueued, found by comparing the two.
// - The outbox carries an assignment's period (`from_ms`, `until_ms`).
export const assignmentPeriods: Migration = {
  version: 8,
  name: 'assignment-periods',
  up(db) {
    db.exec(`
      CREATE TABLE device_assignment_periods (
        id          INTEGER PRIMARY KEY,
        device_key  TEXT NOT NULL,
        patient_id  TEXT NOT NULL REFERENCES patients(id),
        from_ms     INTEGER NOT NULL,
        until_ms    INTEGER,
        rev         INTEGER NOT NULL DEFAULT 1,
        queued_rev  INTEGER,
        CHECK (until_ms IS NULL OR until_ms >= from_ms),
        UNIQUE (device_key, patient_id, from_ms)
      ) STRICT;
      CREATE INDEX device_assignment_periods_patient ON device_assignment_periods (patient_id, device_key);
      CREATE INDEX device_assignment_periods_device ON device_assignment_periods (device_key, from_ms);
      CREATE UNIQUE INDEX device_assignment_periods_open ON device_assignment_periods (device_key)
        WHERE until_ms IS NULL;
      INSERT INTO device_assignment_periods (device_key, patient_id, from_ms, until_ms)
        SELECT device_key, patient_id, 0, NULL FROM device_assignments;
      DROP TABLE device_assignments;
      CREATE VIEW device_assignments AS
        SELECT device_key, patient_id, from_ms AS assigned_ms FROM device_assignment_periods WHERE until_ms IS NULL;

      -- Where a period's visibility ends: its own end, or (a recorder may learn of a closing late) where the
      -- device's next period begins.
      CREATE VIEW assignment_windows AS
        SELECT p.device_key, p.patient_id, p.from_ms,
          coalesce(p.until_ms, (SELECT min(q.from_ms) FROM device_assignment_periods q
                                WHERE q.device_key = p.device_key AND q.from_ms > p.from_ms)) AS until_ms
        FROM device_assignment_periods p;

      ALTER TABLE resources ADD COLUMN queued_version INTEGER;
      ALTER TABLE outbox ADD COLUMN from_ms INTEGER;
      ALTER TABLE outbox ADD COLUMN until_ms INTEGER;
    `);
  },
};
