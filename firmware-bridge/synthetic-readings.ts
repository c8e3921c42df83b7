// Synthetic Readings for tests, demos and benchmarks: a CGM trace that looks like a day of glucose, and
// finger-stick meter readings, both deterministic for a given seed.
import type { DeviceInfo, Reading } from '../gateway/readings/reading.ts';

export interface CgmSeriesOptions {
  deviceKey: string;
  sessionStart: Date;
  count: number;
  /** Minutes between samples (1 or 5). */
  intervalMinutes?: number;
  /** Index of the first record (time offset in minutes / interval). */
  firstIndex?: number;
  seed?: number;
  sessionDays?: number;
}

/** A smooth, bounded glucose curve in mg/dL: meals twice a day plus a slow drift. */
export function glucoseAt(minute: number, seed = 1): number {
  const day = (minute % 1440) / 1440;
  const meals = 45 * Math.exp(-(((day - 0.33) * 14) ** 2)) + 60 * Math.exp(-(((day - 0.75) * 12) ** 2));
  const drift = 20 * Math.sin((minute / 1440 / 3 + seed) * Math.PI * 2);
  const wiggle = 6 * Math.sin(minute / 17 + seed);
  return Math.round(Math.min(380, Math.max(45, 105 + meals + drift + wiggle)));
}

export function cgmDevice(key: string): DeviceInfo {
  return {
    key,
    transport: 'ble',
    kind: 'cgm',
    manufacturer: 'Glukko Inc.',
    model: 'GCGMA98765',
    serialNumber: key
      .replace(/[^A-Za-z0-9]/g, '')
      .slice(-12)
      .toUpperCase(),
    name: 'GlukkoCGM 18',
  };
}

export function cgmSeries(opts: CgmSeriesOptions): Reading[] {
  const interval = opts.intervalMinutes ?? 1;
  const device = cgmDevice(opts.deviceKey);
  const start = opts.sessionStart.getTime();
  const startedAt = opts.sessionStart.toISOString();
  const expiresAt = new Date(start + (opts.sessionDays ?? 14) * 86_400_000).toISOString();
  const out: Reading[] = [];
  for (let k = 0; k < opts.count; k++) {
    const offset = ((opts.firstIndex ?? 0) + k) * interval;
    const at = new Date(start + offset * 60_000).toISOString();
    out.push({
      device,
      identity: `cgm:${startedAt}:${offset}`,
      recordNumber: offset,
      value: glucoseAt(offset, opts.seed ?? 1),
      unit: 'mg/dL',
      specimen: 'isf',
      deviceTime: `offset+${offset}min`,
      receivedAt: at,
      effectiveAt: at,
      clockOffsetMs: 0,
      raw: offset.toString(16).padStart(4, '0'),
      session: { startedAt, expiresAt, intervalSeconds: interval * 60, lowerLimit: 40, upperLimit: 400 },
    });
  }
  return out;
}

export interface BgSeriesOptions {
  deviceKey: string;
  start: Date;
  days: number;
  perDay?: number;
  firstSequence?: number;
  seed?: number;
}

export function bgDevice(key: string): DeviceInfo {
  return {
    key,
    transport: 'ble',
    kind: 'bgm',
    manufacturer: 'Glukko Inc.',
    model: 'CGPA987654',
    serialNumber:
      'SN' +
      key
        .replace(/[^0-9]/g, '')
        .slice(-6)
        .padStart(6, '0'),
    name: 'GlukkoCheck plus mg/dL',
  };
}

export function bgSeries(opts: BgSeriesOptions): Reading[] {
  const perDay = opts.perDay ?? 8;
  const device = bgDevice(opts.deviceKey);
  const out: Reading[] = [];
  let seq = opts.firstSequence ?? 1;
  for (let d = 0; d < opts.days; d++) {
    for (let k = 0; k < perDay; k++) {
      const minute = d * 1440 + 360 + Math.floor((k * 960) / perDay);
      const at = new Date(opts.start.getTime() + minute * 60_000).toISOString();
      out.push({
        device,
        identity: `seq:${seq}`,
        recordNumber: seq,
        value: glucoseAt(minute, opts.seed ?? 2),
        unit: 'mg/dL',
        specimen: 'capillary',
        deviceTime: at.slice(0, 19),
        receivedAt: at,
        effectiveAt: at,
        clockOffsetMs: 0,
        raw: seq.toString(16).padStart(4, '0'),
      });
      seq++;
    }
  }
  return out;
}
