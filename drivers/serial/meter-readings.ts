// The "process" step shared by all serial meters: verified meter records → device-neutral Readings.
import type { DeviceInfo, Reading } from '../../gateway/readings/reading.ts';
import { localTimeToUtc } from './local-time.ts';
import type { MeterConfig, MeterRecord, SerialProtocol } from './meter-session.ts';

export interface ProcessedRecords {
  readings: Reading[];
  /** Records complete but not usable (reason), kept out of ingest. */
  unusable: { raw: string; reason: string }[];
}

export function deviceInfoFor(protocol: SerialProtocol, config: MeterConfig): DeviceInfo {
  return {
    key: `serial:${protocol}:${config.serialNumber}`,
    transport: 'serial',
    kind: 'bgm',
    manufacturer: config.manufacturer,
    model: config.model,
    serialNumber: config.serialNumber,
  };
}

/** Gateway clock minus meter clock, with the meter's wall time placed in `timeZone`. */
export function clockOffsetMs(config: MeterConfig, timeZone: string): number {
  return config.readAt.getTime() - localTimeToUtc(config.meterLocalTime, timeZone).getTime();
}

/**
 * Identity `t:<deviceTime>:<value>`: meter memories are rings whose indexes shift as new tests are stored, so
 * time + value is the stable key. Two tests with the same time and value in one dump get `#2`, `#3`… in dump
 * order, which is the same on every dump.
 */
export function processRecords(
  protocol: SerialProtocol,
  config: MeterConfig,
  records: MeterRecord[],
  timeZone: string,
): ProcessedRecords {
  return processMeterRecords(deviceInfoFor(protocol, config), config, records, timeZone);
}

/** The same for any meter transport (USB meters name their device themselves). */
export function processMeterRecords(
  device: DeviceInfo,
  config: MeterConfig,
  records: MeterRecord[],
  timeZone: string,
): ProcessedRecords {
  const offset = clockOffsetMs(config, timeZone);
  const seen = new Map<string, number>();
  const out: ProcessedRecords = { readings: [], unusable: [] };
  for (const r of records) {
    const base = `t:${r.deviceTime}:${r.controlSolution ? 'C' : ''}${r.valueToken}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    if (r.unusable) {
      out.unusable.push({ raw: r.raw, reason: r.unusable });
      continue;
    }
    const reading: Reading = {
      device,
      identity: n === 1 ? base : `${base}#${n}`,
      value: r.value,
      unit: r.unit,
      specimen: 'capillary',
      deviceTime: r.deviceTime,
      receivedAt: r.receivedAt.toISOString(),
      effectiveAt: localTimeToUtc(r.localTime, timeZone).toISOString(),
      clockOffsetMs: offset,
      raw: r.raw,
      controlSolution: r.controlSolution,
    };
    if (r.flag) reading.flag = r.flag;
    if (r.recordNumber !== undefined) reading.recordNumber = r.recordNumber;
    out.readings.push(reading);
  }
  return out;
}

/** A MeterRecord that is complete but must not be ingested. */
export function unusableRecord(
  raw: string,
  receivedAt: Date,
  reason: string,
  localTime?: string,
): MeterRecord {
  return {
    localTime: localTime ?? '1970-01-01T00:00:00',
    deviceTime: localTime ?? '',
    valueToken: '',
    value: 0,
    unit: 'mg/dL',
    controlSolution: false,
    raw,
    receivedAt,
    unusable: reason,
  };
}
