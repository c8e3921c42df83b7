// Data for the export tests, ingested through the real ingest() into the harness's SQLite file: a CGM of
// patient A (three hours of one-minute samples, one sensor error), and a blood glucose meter that is A's for
// the first hour and then B's (LO, HI, an error, a control-solution test; a name that needs CSV quoting).
import https from 'node:https';
import { ingest } from '../../../gateway/ingest/pipeline.ts';
import type { Reading } from '../../../gateway/readings/reading.ts';
import { assignDevice } from '../../../gateway/store/assignments.ts';
import { cgmSeries } from '../../../firmware-bridge/synthetic-readings.ts';
import type { Browser, Harness } from '../oauth/harness.ts';

export const CGM_KEY = 'ble:c0:ff:ee:00:00:34';
export const BG_KEY = 'ble:c0:ff:ee:00:00:35';
const HOUR = 3_600_000;

export interface ExportData {
  startMs: number;
  /** When the meter went from A to B. */
  handoverMs: number;
}

function bgReading(startMs: number, k: number, extra: Partial<Reading>): Reading {
  const at = new Date(startMs + k * 10 * 60_000).toISOString();
  return {
    device: {
      key: BG_KEY,
      transport: 'ble',
      kind: 'bgm',
      manufacturer: '=Glukko, "Inc."',
      model: 'Check\nplus',
      serialNumber: 'SN0035',
    },
    identity: `seq:${k + 1}`,
    recordNumber: k + 1,
    value: 90 + k * 7,
    unit: k % 2 === 0 ? 'mg/dL' : 'mmol/L',
    specimen: 'capillary',
    deviceTime: at.slice(0, 19),
    receivedAt: at,
    effectiveAt: at,
    clockOffsetMs: 0,
    raw: `0${k}`,
    ...extra,
  };
}

/** 12 meter readings, 10 minutes apart; the hand-over is at reading 6. */
function meterReadings(startMs: number): Reading[] {
  const out: Reading[] = [];
  for (let k = 0; k < 12; k++) {
    const mmol = k % 2 === 1;
    const extra: Partial<Reading> = mmol ? { value: 5 + k / 10 } : {};
    if (k === 1) Object.assign(extra, { flag: 'low', value: 1.1 });
    if (k === 2) Object.assign(extra, { flag: 'high', value: 600 });
    if (k === 3) Object.assign(extra, { flag: 'error', value: null, flagReason: 'strip-error' });
    if (k === 4) Object.assign(extra, { controlSolution: true });
    out.push(bgReading(startMs, k, extra));
  }
  return out;
}

/** Ingests the data set at `now` and assigns the devices; A and B are patient ids. */
export function seedExportData(h: Harness, a: string, b: string): ExportData {
  const nowMs = h.clock.now().getTime();
  const startMs = Math.floor(nowMs / HOUR) * HOUR - 2 * 86_400_000;
  const cgm = cgmSeries({ deviceKey: CGM_KEY, sessionStart: new Date(startMs), count: 180, seed: 7 });
  const err = cgm[100]!;
  cgm[100] = { ...err, value: null, flag: 'error', flagReason: 'sensor-malfunction' };
  const result = ingest(h.services.store, [...cgm, ...meterReadings(startMs)], { now: new Date(nowMs) });
  if (result.rejected.length > 0) throw new Error(JSON.stringify(result.rejected));
  const { store } = h.services;
  const handoverMs = startMs + HOUR;
  assignDevice(store, CGM_KEY, a, nowMs, { fromMs: startMs - HOUR });
  assignDevice(store, BG_KEY, a, nowMs, { fromMs: startMs - HOUR });
  // The meter changes hands: A's period ends at the hand-over, B's starts there.
  assignDevice(store, BG_KEY, b, handoverMs);
  return { startMs, handoverMs };
}

export interface Download {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** GET with the browser's cookies, the body as bytes (the harness's browser decodes text). */
export function download(h: Harness, b: Browser, path: string): Promise<Download> {
  return new Promise((resolve, reject) => {
    const cookie = [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const req = https.request(
      new URL(path, h.url),
      { ca: h.ca, headers: { cookie }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}
