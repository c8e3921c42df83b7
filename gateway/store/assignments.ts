// Which devices belong to whom, and when: a device is a patient's for periods [from, until). An Observation is
// the patient's only when its effective time lies inside one of them (see assignment_windows and
// fhir-search.ts), so a meter handed to the next patient takes none of its history along. Every change of a
// period is queued for the recorder in its own transaction when the store has an outbox.
import { GatewayError } from '../../lib/errors.ts';
import { getDevice } from './devices.ts';
import type { Store } from './store.ts';

export interface AssignmentPeriod {
  id: number;
  device_key: string;
  patient_id: string;
  from_ms: number;
  /** null while the period is open. */
  until_ms: number | null;
  /** Bumped at every change; `queued_rev` is the revision that went into the outbox. */
  rev: number;
  queued_rev: number | null;
}

/** A period as search uses it: `until_ms` is where it ends or where the device's next period begins. */
export interface AssignmentWindow {
  device_key: string;
  from_ms: number;
  until_ms: number | null;
}

export class AssignmentError extends GatewayError {
  declare readonly code: 'ERR_DEVICE_UNKNOWN' | 'ERR_PERIOD_INVALID';
  constructor(code: AssignmentError['code'], message: string) {
    super(code, message);
  }
}

export interface AssignOptions {
  /** Refuse a device key the gateway has never seen nor had assigned (a typo would assign nothing, silently). */
  requireSeen?: boolean;
  /**
   * Start of the period. Default: 0 (the device's whole history) for a device that never belonged to anyone,
   * else now: what it recorded before belongs to its earlier patients, or to nobody.
   */
  fromMs?: number;
}

export function openPeriod(store: Store, deviceKey: string): AssignmentPeriod | undefined {
  return store
    .prepare<AssignmentPeriod>(
      'SELECT * FROM device_assignment_periods WHERE device_key = ? AND until_ms IS NULL',
    )
    .get(deviceKey);
}

export function periodsOfDevice(store: Store, deviceKey: string): AssignmentPeriod[] {
  return store
    .prepare<AssignmentPeriod>(
      'SELECT * FROM device_assignment_periods WHERE device_key = ? ORDER BY from_ms, id',
    )
    .all(deviceKey);
}

/** Every period of every device, oldest first (operator views, tests). */
export function allPeriods(store: Store): AssignmentPeriod[] {
  return store
    .prepare<AssignmentPeriod>('SELECT * FROM device_assignment_periods ORDER BY device_key, from_ms, id')
    .all();
}

/**
 * Assigns a device to a patient from now on: an open period of another patient is closed now, one of the same
 * patient is kept as it is. With `requireSeen`, refuses a device the gateway has never seen.
 */
export function assignDevice(
  store: Store,
  deviceKey: string,
  patientId: string,
  nowMs: number,
  opts: AssignOptions = {},
): AssignmentPeriod {
  return store.transaction(() => {
    // Seen, or pre-registered earlier (it has periods): a known key, not a typo.
    if (opts.requireSeen && !getDevice(store, deviceKey) && !hasPeriods(store, deviceKey)) {
      throw new AssignmentError(
        'ERR_DEVICE_UNKNOWN',
        `device ${deviceKey} has never been seen by this gateway (check the key, or pre-register it)`,
      );
    }
    const open = openPeriod(store, deviceKey);
    if (open?.patient_id === patientId) return open;
    if (open) closePeriod(store, open, nowMs);
    const fromMs = opts.fromMs ?? (hasPeriods(store, deviceKey) ? nowMs : 0);
    checkFrom(store, deviceKey, fromMs, nowMs);
    const id = Number(
      store
        .prepare(
          'INSERT INTO device_assignment_periods (device_key, patient_id, from_ms, until_ms) VALUES (?, ?, ?, NULL)',
        )
        .run(deviceKey, patientId, fromMs).lastInsertRowid,
    );
    return queued(store, id);
  });
}

/** Ends the device's open period now (nothing when it has none); returns the closed period. */
export function unassignDevice(store: Store, deviceKey: string, nowMs: number): AssignmentPeriod | undefined {
  return store.transaction(() => {
    const open = openPeriod(store, deviceKey);
    return open ? closePeriod(store, open, nowMs) : undefined;
  });
}

/** Ends every open period of a patient (account removal); history is kept, as for any other ending. */
export function closePeriodsOfPatient(store: Store, patientId: string, nowMs: number): number {
  return store.transaction(() => {
    const open = store
      .prepare<AssignmentPeriod>(
        'SELECT * FROM device_assignment_periods WHERE patient_id = ? AND until_ms IS NULL ORDER BY id',
      )
      .all(patientId);
    for (const p of open) closePeriod(store, p, nowMs);
    return open.length;
  });
}

function closePeriod(store: Store, p: AssignmentPeriod, nowMs: number): AssignmentPeriod {
  // A period opened "now" and closed in the same millisecond is empty, never negative.
  const until = Math.max(nowMs, p.from_ms);
  store
    .prepare('UPDATE device_assignment_periods SET until_ms = ?, rev = rev + 1 WHERE id = ?')
    .run(until, p.id);
  return queued(store, p.id);
}

function hasPeriods(store: Store, deviceKey: string): boolean {
  return (
    store.prepare('SELECT 1 FROM device_assignment_periods WHERE device_key = ? LIMIT 1').get(deviceKey) !==
    undefined
  );
}

/** A chosen start must not reach into another period of the device, nor lie in the future. */
function checkFrom(store: Store, deviceKey: string, fromMs: number, nowMs: number): void {
  if (!Number.isSafeInteger(fromMs) || fromMs < 0 || fromMs > nowMs) {
    throw new AssignmentError('ERR_PERIOD_INVALID', 'the period must start at a time in the past');
  }
  const overlap = store
    .prepare(
      'SELECT 1 FROM device_assignment_periods WHERE device_key = ? AND coalesce(until_ms, ?) > ? LIMIT 1',
    )
    .get(deviceKey, Number.MAX_SAFE_INTEGER, fromMs);
  if (overlap !== undefined) {
    throw new AssignmentError(
      'ERR_PERIOD_INVALID',
      `device ${deviceKey} belonged to a patient after ${new Date(fromMs).toISOString()}; a period cannot overlap another`,
    );
  }
}

/** Reads the period back and hands it to the outbox (if any), marking its revision queued. */
function queued(store: Store, id: number): AssignmentPeriod {
  if (store.outbox) {
    store.prepare('UPDATE device_assignment_periods SET queued_rev = rev WHERE id = ?').run(id);
  }
  const p = store.prepare<AssignmentPeriod>('SELECT * FROM device_assignment_periods WHERE id = ?').get(id)!;
  store.outbox?.period(p);
  return p;
}

/** Periods whose current revision never went into the outbox (an earlier version or sync off wrote them). */
export function unqueuedPeriods(store: Store): AssignmentPeriod[] {
  return store
    .prepare<AssignmentPeriod>(
      'SELECT * FROM device_assignment_periods WHERE queued_rev IS NOT rev ORDER BY from_ms, id',
    )
    .all();
}

export function markPeriodQueued(store: Store, p: AssignmentPeriod): void {
  store.prepare('UPDATE device_assignment_periods SET queued_rev = ? WHERE id = ?').run(p.rev, p.id);
}

/** The windows in which a patient's devices were theirs. */
export function windowsOfPatient(store: Store, patientId: string): AssignmentWindow[] {
  return store
    .prepare<AssignmentWindow>(
      `SELECT device_key, from_ms, until_ms FROM assignment_windows WHERE patient_id = ?
       ORDER BY device_key, from_ms`,
    )
    .all(patientId);
}

/** Devices a patient has now (open periods). */
export function devicesOfPatient(store: Store, patientId: string): string[] {
  return store
    .prepare<{ device_key: string }>(
      'SELECT device_key FROM device_assignment_periods WHERE patient_id = ? AND until_ms IS NULL ORDER BY 1',
    )
    .all(patientId)
    .map((r) => r.device_key);
}

export function patientOfDevice(store: Store, deviceKey: string): string | undefined {
  return openPeriod(store, deviceKey)?.patient_id;
}
