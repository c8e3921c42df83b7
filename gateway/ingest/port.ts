// The port drivers talk to: the core owns it, so no driver knows the store, SQL or the HDDT mapping. A driver
// hands over Readings, asks which record of a device the core has last (to fetch only what is missing), and
// reports that it heard from a device.
import { touchDevice } from '../store/devices.ts';
import { lastRecordNumber } from '../store/readings.ts';
import type { Store } from '../store/store.ts';
import { ingest, type IngestOptions } from './pipeline.ts';
import type { IngestResult, Reading } from '../readings/reading.ts';

export interface ReadingPort {
  /** Stores the readings (idempotent: what the core has already is counted as a duplicate). Throws only when
   * the store itself fails; nothing of the batch is then stored. */
  push(readings: Reading[]): IngestResult;
  /**
   * The highest record number the core holds for the device (GLS sequence number; CGMS time offset, per
   * sensor session when `sessionStartedAt` is given), or null when it holds none.
   */
  lastRecordNumber(deviceKey: string, sessionStartedAt?: string): number | null;
  /** The device answered (a connection without new records still counts as a sync). */
  deviceSeen(deviceKey: string, at: Date): void;
}

/** The port into a store, with the mapping and retention rules the configuration gives ingest. */
export function storePort(store: Store, opts: Omit<IngestOptions, 'now'> = {}): ReadingPort {
  return {
    push: (readings) => ingest(store, readings, opts),
    lastRecordNumber: (deviceKey, sessionStartedAt) => lastRecordNumber(store, deviceKey, sessionStartedAt),
    deviceSeen: (deviceKey, at) => touchDevice(store, deviceKey, at.getTime()),
  };
}
