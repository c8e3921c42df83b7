// Patients (pseudonymous accounts) and which devices belong to whom.
import { randomBytes } from 'node:crypto';
import type { Store } from './store.ts';

export interface PatientRow {
  id: string;
  username: string;
  created_ms: number;
  removed_ms: number | null;
}

export function addPatient(store: Store, username: string, nowMs: number): PatientRow {
  const row: PatientRow = {
    id: randomBytes(16).toString('hex'),
    username,
    created_ms: nowMs,
    removed_ms: null,
  };
  store
    .prepare('INSERT INTO patients (id, username, created_ms) VALUES (?, ?, ?)')
    .run(row.id, row.username, row.created_ms);
  return row;
}

export function getPatientByUsername(store: Store, username: string): PatientRow | undefined {
  return store.prepare<PatientRow>('SELECT * FROM patients WHERE username = ?').get(username);
}

export function getPatient(store: Store, id: string): PatientRow | undefined {
  return store.prepare<PatientRow>('SELECT * FROM patients WHERE id = ?').get(id);
}

export function listPatients(store: Store): PatientRow[] {
  return store.prepare<PatientRow>('SELECT * FROM patients ORDER BY username').all();
}

/** Assigns (or re-assigns) a device to a patient; the change travels upward like any other. */
export function assignDevice(store: Store, deviceKey: string, patientId: string, nowMs: number): void {
  store.transaction(() => {
    store
      .prepare(
        `INSERT INTO device_assignments (device_key, patient_id, assigned_ms) VALUES (?, ?, ?)
         ON CONFLICT (device_key) DO UPDATE SET patient_id = excluded.patient_id, assigned_ms = excluded.assigned_ms`,
      )
      .run(deviceKey, patientId, nowMs);
    store.emit({ kind: 'assignment', deviceKey, patientId, atMs: nowMs });
  });
}

export function unassignDevice(store: Store, deviceKey: string, nowMs: number): void {
  store.transaction(() => {
    store.prepare('DELETE FROM device_assignments WHERE device_key = ?').run(deviceKey);
    store.emit({ kind: 'assignment', deviceKey, patientId: null, atMs: nowMs });
  });
}

export function devicesOfPatient(store: Store, patientId: string): string[] {
  return store
    .prepare<{ device_key: string }>(
      'SELECT device_key FROM device_assignments WHERE patient_id = ? ORDER BY 1',
    )
    .all(patientId)
    .map((r) => r.device_key);
}

export function patientOfDevice(store: Store, deviceKey: string): string | undefined {
  return store
    .prepare<{ patient_id: string }>('SELECT patient_id FROM device_assignments WHERE device_key = ?')
    .get(deviceKey)?.patient_id;
}
