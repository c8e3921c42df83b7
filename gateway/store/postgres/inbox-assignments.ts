// Assignment periods on PostgreSQL (the SQLite twin: gateway/store/sync-inbox.ts): read the device's periods,
// let apply-rules.ts plan, run the plan. The caller holds the gateway's lock (device keys are namespaced by
// gateway), so no other consumer changes these periods in between; the unique indexes (one period per device,
// patient and start; one open period per device) stand behind that.
import type pg from 'pg';
import {
  planAssignmentV1,
  planPeriod,
  type LastAssignment,
  type PeriodOp,
  type StoredPeriod,
} from '../apply-rules.ts';
import type { InboxAssignment } from '../../sync/recorder-store.ts';

async function devicePeriods(c: pg.PoolClient, device: string): Promise<StoredPeriod[]> {
  const res = await c.query<StoredPeriod>(
    'SELECT id, patient_id, from_ms, until_ms FROM device_assignment_periods WHERE device_key = $1 ORDER BY from_ms, id',
    [device],
  );
  return res.rows;
}

async function runPeriodOps(c: pg.PoolClient, device: string, ops: PeriodOp[]): Promise<void> {
  for (const o of ops) {
    if (o.op === 'close') {
      await c.query('UPDATE device_assignment_periods SET until_ms = $1 WHERE id = $2', [o.until, o.id]);
    } else {
      await c.query(
        'INSERT INTO device_assignment_periods (device_key, patient_id, from_ms, until_ms) VALUES ($1, $2, $3, $4)',
        [device, o.patient, o.from, o.until],
      );
    }
  }
}

/** Patients are created on first sight with a pseudonymous id. */
async function ensurePatient(c: pg.PoolClient, patient: string, atMs: number): Promise<void> {
  await c.query(
    'INSERT INTO patients (id, username, created_ms) VALUES ($1, $1, $2) ON CONFLICT DO NOTHING',
    [patient, atMs],
  );
}

async function applyV1(
  c: pg.PoolClient,
  stream: string,
  a: Extract<InboxAssignment, { kind: 'v1' }>,
): Promise<void> {
  const last = await c.query<LastAssignment>(
    'SELECT stream, seq, at_ms FROM sync_assignment_seq WHERE device_key = $1',
    [a.device],
  );
  const ops = planAssignmentV1(
    last.rows[0],
    await devicePeriods(c, a.device),
    a.patient,
    stream,
    a.seq,
    a.at,
  );
  if (ops === null) return;
  await c.query(
    `INSERT INTO sync_assignment_seq (device_key, stream, seq, at_ms) VALUES ($1, $2, $3, $4)
     ON CONFLICT (device_key) DO UPDATE SET stream = excluded.stream, seq = excluded.seq, at_ms = excluded.at_ms`,
    [a.device, stream, a.seq, a.at],
  );
  if (a.patient !== null) await ensurePatient(c, a.patient, a.at);
  await runPeriodOps(c, a.device, ops);
}

/** Applies one assignment change of a batch of `stream` (docs/mqtt.md, step 4). */
export async function applyAssignmentChange(
  c: pg.PoolClient,
  stream: string,
  a: InboxAssignment,
): Promise<void> {
  if (a.kind === 'v1') return applyV1(c, stream, a);
  await ensurePatient(c, a.patient, a.at);
  await runPeriodOps(c, a.device, planPeriod(await devicePeriods(c, a.device), a.patient, a.from, a.until));
}
