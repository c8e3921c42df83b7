// The "process" step shared by all serial meters: verified meter records → device-neutral Readings.
import type { DeviceInfo, GlucoseUnit, Reading } from '../../gateway/readings/reading.ts';
import { localTimeToUtc } from './local-time.ts';
import type { MeterConfig, MeterRecord, SerialProtocol } from './meter-session.ts';

export interface ProcessedRecords {
  readings: Reading[];
  /** Records complete but not usable (reason), kept out of ingest. */
  unusable: { raw: string; reason: string }[];
}

/** A cable meter as a device: keyed by transport, protocol and the serial number the meter reported. */
export function cableDeviceInfo(
  transport: 'serial' | 'usb',
  protocol: string,
  config: MeterConfig,
): DeviceInfo {
  return {
    key: `${transport}:${protocol}:${config.serialNumber}`,
    transport,
    kind: 'bgm',
    manufacturer: config.manufacturer,
    model: config.model,
    serialNumber: config.serialNumber,
  };
}

export function deviceInfoFor(protocol: SerialProtocol, config: MeterConfig): DeviceInfo {
  return cableDeviceInfo('serial', protocol, config);
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

/** A meter's glucose result, whatever its protocol's record layout. */
export interface MeterResult {
  localTime: string;
  deviceTime: string;
  /** The value as the meter wrote it; out of range, the limit it printed. */
  valueText: string;
  value: number;
  unit: GlucoseUnit;
  flag?: 'low' | 'high';
  control: boolean;
}

/** A result as a MeterRecord: an out-of-range value's token is its text behind `<` or `>`. */
export function resultRecord(r: MeterResult, raw: string, receivedAt: Date): MeterRecord {
  const out: MeterRecord = {
    localTime: r.localTime,
    deviceTime: r.deviceTime,
    valueToken: (r.flag === 'low' ? '<' : r.flag === 'high' ? '>' : '') + r.valueText,
    value: r.value,
    unit: r.unit,
    controlSolution: r.control,
    raw,
    receivedAt,
  };
  if (r.flag) out.flag = r.flag;
  return out;
}
