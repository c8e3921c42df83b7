// Queries of the operator API (server/operator-api): devices with whether they are assigned, the assignments,
// and revoked system client tokens. The internal patient id is returned only to be turned into the sync handle
// by the caller; it never leaves the gateway.
import type { DeviceRow } from './devices.ts';
import type { Store } from './store.ts';

/** A device row (without its internal id) and whether a patient is assigned to it. */
export type OperatorDeviceRow = Omit<DeviceRow, 'id'> & { assigned: number };

export function devicesWithAssignment(store: Store): OperatorDeviceRow[] {
  return store
    .prepare<OperatorDeviceRow>(
      `SELECT d.key, d.transport, d.kind, d.manufacturer, d.model, d.serial_number, d.name, d.first_seen_ms,
         d.last_seen_ms, (a.device_key IS NOT NULL) AS assigned
       FROM devices d LEFT JOIN device_assignments a ON a.device_key = d.key ORDER BY d.key`,
    )
    .all();
}

export interface AssignmentRow {
  device_key: string;
  patient_id: string;
  assigned_ms: number;
}

export function listAssignments(store: Store): AssignmentRow[] {
  return store
    .prepare<AssignmentRow>(
      'SELECT device_key, patient_id, assigned_ms FROM device_assignments ORDER BY device_key',
    )
    .all();
}

export function getAssignment(store: Store, deviceKey: string): AssignmentRow | undefined {
  return store
    .prepare<AssignmentRow>(
      'SELECT device_key, patient_id, assigned_ms FROM device_assignments WHERE device_key = ?',
    )
    .get(deviceKey);
}

export interface SystemTokenRevocation {
  jti: string;
  client_id: string;
  revoked_ms: number;
  expires_ms: number;
}

/** Records a revoked system client token (again: no change) and drops revocations of tokens now expired. */
export function revokeSystemToken(store: Store, row: SystemTokenRevocation): void {
  store.transaction(() => {
    store.prepare('DELETE FROM system_token_revocations WHERE expires_ms <= ?').run(row.revoked_ms);
    store
      .prepare(
        `INSERT INTO system_token_revocations (jti, client_id, revoked_ms, expires_ms)
         VALUES (@jti, @client_id, @revoked_ms, @expires_ms) ON CONFLICT (jti) DO NOTHING`,
      )
      .run(row);
  });
}

export function isSystemTokenRevoked(store: Store, jti: string): boolean {
  return store.prepare('SELECT 1 FROM system_token_revocations WHERE jti = ?').get(jti) !== undefined;
}
