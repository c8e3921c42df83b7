// Ingest throughput: readings/s through ingest() (validation, dedup, mapping, FHIR rendering) against the
// floor of better-sqlite3 inserting the same reading rows in batched transactions with no mapping.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bgSeries, cgmSeries } from '../firmware-bridge/synthetic-readings.ts';
import { ingest } from '../gateway/ingest/pipeline.ts';
import type { Reading } from '../gateway/readings/reading.ts';
import { openStore } from '../gateway/store/store.ts';

const BATCH = 5000;
const SESSION_RECORDS = 20_160; // 14 days at 1 minute

/** Yields the data set in batches: CGM 1-minute series of several devices (14-day sessions) plus BG. */
function* batches(total: number, cgmDevices: number): Generator<Reading[]> {
  const start = new Date('2025-01-01T00:00:00Z');
  const bgMeters = 3;
  const bgTotal = Math.round(total * 0.012);
  const perCgm = Math.floor((total - bgTotal) / cgmDevices);
  for (let d = 0; d < cgmDevices; d++) {
    for (let done = 0; done < perCgm;) {
      // batches never straddle a 14-day session, so every batch belongs to one sensor
      const session = Math.floor(done / SESSION_RECORDS);
      const inSession = done % SESSION_RECORDS;
      const n = Math.min(BATCH, perCgm - done, SESSION_RECORDS - inSession);
      yield cgmSeries({
        deviceKey: `ble:cgm-${d}`,
        sessionStart: new Date(start.getTime() + session * SESSION_RECORDS * 60_000),
        firstIndex: inSession,
        count: n,
        seed: d,
      });
      done += n;
    }
  }
  const perMeter = Math.ceil(bgTotal / bgMeters);
  for (let m = 0; m < bgMeters; m++) {
    const all = bgSeries({ deviceKey: `serial:bg-${m}`, start, days: Math.ceil(perMeter / 8) });
    for (let i = 0; i < perMeter; i += BATCH) yield all.slice(i, Math.min(i + BATCH, perMeter));
  }
}

function dirSize(dir: string): number {
  return fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
}

/** The floor's side: the same `readings` table via openStore, rows inserted with no validation or mapping. */
function floorStore(file: string) {
  const store = openStore({ path: file });
  const db = store.db;
  const ids = new Map<string, [number, number]>();
  const idOf = (key: string): [number, number] => {
    let pair = ids.get(key);
    if (!pair) {
      const dev = Number(
        db
          .prepare(
            `INSERT INTO devices (key, transport, kind, first_seen_ms, last_seen_ms) VALUES (?, 'ble', 'cgm', 0, 0)`,
          )
          .run(key).lastInsertRowid,
      );
      const ses = Number(
        db
          .prepare(
            `INSERT INTO device_sessions (device_id, started_at, unit, device_fhir_id, metric_fhir_id) VALUES (?, '', 'mg/dL', ?, ?)`,
          )
          .run(dev, `d-${key}`, `m-${key}`).lastInsertRowid,
      );
      ids.set(key, (pair = [dev, ses]));
    }
    return pair;
  };
  const insert =
    db.prepare(`INSERT INTO readings (device_id, session_id, identity, record_number, value, unit, flag,
    flag_reason, specimen, device_time, received_ms, effective_ms, clock_offset_ms, control, raw)
    VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`);
  const insertBatch = db.transaction((rows: unknown[][]) => {
    for (const r of rows) insert.run(...r);
  });
  const rowsOf = (batch: Reading[]) =>
    batch.map((r) => [
      ...idOf(r.device.key),
      r.identity,
      r.recordNumber ?? null,
      r.value,
      r.unit,
      r.flag ?? null,
      r.flagReason ?? null,
      r.specimen,
      r.deviceTime,
      Date.parse(r.receivedAt),
      Date.parse(r.effectiveAt),
      r.clockOffsetMs,
      r.controlSolution ? 1 : 0,
      r.raw,
    ]);
  return { store, rowsOf, insertBatch };
}

export async function run(args: string[]): Promise<object> {
  const total = Number(args[0] ?? 1_000_000);
  const cgmDevices = 4;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-bench-ingest-'));
  try {
    const store = openStore({ path: path.join(tmp, 'gw', 'hddt.sqlite') });
    const floor = floorStore(path.join(tmp, 'floor', 'floor.sqlite'));
    let ingestMs = 0;
    let floorMs = 0;
    let readings = 0;
    // Interleaved: each batch is generated (untimed), ingested (timed), turned into plain rows (untimed) and
    // inserted by the floor (timed). Both runs see the same disk and heap conditions at the same moments;
    // nothing is kept across batches.
    for (const batch of batches(total, cgmDevices)) {
      const now = new Date(Date.parse(batch[batch.length - 1].receivedAt) + 60_000);
      const t0 = performance.now();
      const res = ingest(store, batch, { now });
      ingestMs += performance.now() - t0;
      if (res.rejected.length) throw new Error(`bench data rejected: ${res.rejected[0].reason}`);
      readings += res.stored;
      const rows = floor.rowsOf(batch);
      const f0 = performance.now();
      floor.insertBatch(rows);
      floorMs += performance.now() - f0;
    }
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    const resources = (store.db.prepare('SELECT count(*) AS n FROM resources').get() as { n: number }).n;
    store.close();
    floor.store.close();
    const bytes = dirSize(path.join(tmp, 'gw'));

    const readingsPerSec = Math.round(readings / (ingestMs / 1000));
    const floorPerSec = Math.round(readings / (floorMs / 1000));
    return {
      readings,
      resources,
      readingsPerSec,
      floorPerSec,
      ratio: Math.round((readingsPerSec / floorPerSec) * 100) / 100,
      seconds: Math.round(ingestMs) / 1000,
      floorSeconds: Math.round(floorMs) / 1000,
      bytesOnDiskPerReading: Math.round(bytes / readings),
      target: { ratio: 0.5 },
    };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
