// The protocol steps of a USB meter: the serial meters' steps (drivers/serial/meter-session.ts), over a USB
// link. The sequence is the visit's (drivers/visit.ts), run by run-usb-dump.ts.
import type { FetchProgress, MeterConfig, MeterRecord, SessionOptions } from '../serial/meter-session.ts';
import type { UsbProtocol } from './usb-link.ts';

export interface UsbMeterSession {
  readonly protocol: UsbProtocol;
  connect(): Promise<void>;
  readConfig(): Promise<MeterConfig>;
  /** Hands each complete, verified record to `onRecord` as soon as it is complete; throws a MeterError. */
  fetch(onRecord: (r: MeterRecord) => void, onProgress?: FetchProgress): Promise<void>;
  /** Never throws. */
  disconnect(): Promise<void>;
}

/** USB links are fast and local: shorter waits than a 9600-baud cable. */
export const DEFAULT_USB_SESSION_OPTIONS: SessionOptions = {
  timeouts: { replyMs: 3000, quietMs: 100 },
  retries: 3,
  now: () => new Date(),
};

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
