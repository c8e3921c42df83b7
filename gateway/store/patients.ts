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

// Assignments (periods) live in assignments.ts; re-exported for the callers that manage patients and devices.
export { assignDevice, devicesOfPatient, patientOfDevice, unassignDevice } from './assignments.ts';
