// Checks a Reading before it may be stored. Returns the reason it is unacceptable, or null.
import type { Reading } from './reading.ts';
import { TimeCache } from './time-cache.ts';

const UNITS = new Set(['mg/dL', 'mmol/L']);
const SPECIMENS = new Set(['capillary', 'blood', 'plasma', 'isf']);
const FLAGS = new Set(['low', 'high', 'error']);
const KINDS = new Set(['cgm', 'bgm']);
const TRANSPORTS = new Set(['ble', 'serial', 'usb', 'import']);
const CALIBRATION = new Set(['not-calibrated', 'calibration-required', 'calibrated', 'unspecified']);

const nonEmpty = (s: unknown): s is string => typeof s === 'string' && s.length > 0;

/** A module function, not a closure: validation runs once per reading and must not allocate. */
const isInstant = (s: unknown, times: TimeCache): s is string =>
  typeof s === 'string' && !Number.isNaN(times.parse(s));

export function validateReading(r: Reading, times: TimeCache = new TimeCache()): string | null {
  if (typeof r !== 'object' || r === null) return 'reading must be an object';
  const d = r.device as Reading['device'] | undefined;
  if (typeof d !== 'object' || d === null) return 'device is missing';
  if (!nonEmpty(d.key) || d.key.length > 200)
    return 'device.key must be a non-empty string of at most 200 characters';
  if (!KINDS.has(d.kind)) return `device.kind must be "cgm" or "bgm", got ${JSON.stringify(d.kind)}`;
  if (!TRANSPORTS.has(d.transport))
    return `device.transport must be ble, serial or import, got ${JSON.stringify(d.transport)}`;
  for (const k of ['manufacturer', 'model', 'serialNumber', 'name'] as const) {
    if (d[k] !== undefined && typeof d[k] !== 'string') return `device.${k} must be a string`;
  }
  if (!nonEmpty(r.identity) || r.identity.length > 200)
    return 'identity must be a non-empty string of at most 200 characters';
  if (r.recordNumber !== undefined && !Number.isSafeInteger(r.recordNumber))
    return 'recordNumber must be an integer';
  if (!UNITS.has(r.unit)) return `unit must be "mg/dL" or "mmol/L", got ${JSON.stringify(r.unit)}`;
  if (!SPECIMENS.has(r.specimen))
    return `specimen must be capillary, blood, plasma or isf, got ${JSON.stringify(r.specimen)}`;
  if (r.flag !== undefined && !FLAGS.has(r.flag))
    return `flag must be low, high or error, got ${JSON.stringify(r.flag)}`;
  if (r.flag === 'error') {
    if (r.value !== null) return 'a reading flagged error must have value null';
    if (!nonEmpty(r.flagReason)) return 'a reading flagged error needs a flagReason';
  } else {
    if (typeof r.value !== 'number' || !Number.isFinite(r.value)) return 'value must be a finite number';
    if (r.value < 0) return 'value must not be negative';
    const max = r.unit === 'mg/dL' ? 2000 : 111;
    if (r.value > max) return `value ${r.value} ${r.unit} is beyond any glucose measurement`;
  }
  if (typeof r.deviceTime !== 'string') return 'deviceTime must be a string (the raw device clock value)';
  if (!isInstant(r.receivedAt, times))
    return `receivedAt is not a valid time: ${JSON.stringify(r.receivedAt)}`;
  if (!isInstant(r.effectiveAt, times))
    return `effectiveAt is not a valid time: ${JSON.stringify(r.effectiveAt)}`;
  if (typeof r.clockOffsetMs !== 'number' || !Number.isFinite(r.clockOffsetMs))
    return 'clockOffsetMs must be a number';
  if (typeof r.raw !== 'string') return 'raw must be a string (hex bytes or the received line)';
  if (r.controlSolution !== undefined && typeof r.controlSolution !== 'boolean')
    return 'controlSolution must be a boolean';
  if (r.analyte !== undefined && (r.analyte !== 'ketone' || r.unit !== 'mmol/L'))
    return `analyte must be "ketone" in mmol/L when given, got ${JSON.stringify(r.analyte)} in ${r.unit}`;
  if (d.kind === 'cgm') {
    const s = r.session;
    if (typeof s !== 'object' || s === null) return 'a CGM reading needs its sensor session';
    if (!isInstant(s.startedAt, times))
      return `session.startedAt is not a valid time: ${JSON.stringify(s.startedAt)}`;
    if (s.expiresAt !== undefined && !isInstant(s.expiresAt, times))
      return 'session.expiresAt is not a valid time';
    if (!Number.isInteger(s.intervalSeconds) || s.intervalSeconds < 1 || s.intervalSeconds > 3600) {
      return 'session.intervalSeconds must be an integer between 1 and 3600';
    }
    for (const k of ['lowerLimit', 'upperLimit'] as const) {
      if (s[k] !== undefined && (typeof s[k] !== 'number' || !Number.isFinite(s[k])))
        return `session.${k} must be a number`;
    }
  }
  if (r.calibration !== undefined) {
    if (!CALIBRATION.has(r.calibration.state)) return `calibration.state is not a FHIR calibration state`;
    if (r.calibration.time !== undefined && !isInstant(r.calibration.time, times))
      return 'calibration.time is not a valid time';
  }
  return null;
}
