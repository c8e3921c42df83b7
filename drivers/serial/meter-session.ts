// The protocol steps of a serial meter (after Tidepool's uploader): connect → read config/clock → fetch →
// disconnect. The sequence is the visit's (drivers/visit.ts, the same for BLE), run by run-dump.ts, so adding a
// meter is adding one session class, not touching the pipeline.
import type { GlucoseUnit, ReadingFlag } from '../../gateway/readings/reading.ts';
import type { SerialLink } from './serial-link.ts';

export type SerialProtocol = 'onetouch-ultra2' | 'onetouch-ultraeasy' | 'astm';
export const SERIAL_PROTOCOLS: readonly SerialProtocol[] = ['onetouch-ultra2', 'onetouch-ultraeasy', 'astm'];

/** What connect + readConfig learned about the meter. */
export interface MeterConfig {
  manufacturer: string;
  model: string;
  serialNumber: string;
  /** The unit the meter displays (data may be stored in another; each record carries its own unit). */
  displayUnit: GlucoseUnit;
  /** The meter clock as it reported it. */
  meterTime: string;
  /** The meter clock as `YYYY-MM-DDTHH:MM:SS` wall time. */
  meterLocalTime: string;
  /** Gateway clock (UTC) when the meter clock was read. */
  readAt: Date;
  /** Records the meter announced, when the protocol tells (for progress). */
  expectedRecords?: number;
}

/** One complete, verified record as the meter sent it, before it becomes a Reading. */
export interface MeterRecord {
  /** `YYYY-MM-DDTHH:MM:SS` meter wall time. */
  localTime: string;
  /** The meter's own rendering of that time (kept verbatim in the Reading). */
  deviceTime: string;
  /** The value as the meter wrote it (`123`, `HI`, `<10`, `5.6`): part of the dedup identity. */
  valueToken: string;
  value: number;
  unit: GlucoseUnit;
  flag?: Extract<ReadingFlag, 'low' | 'high'>;
  controlSolution: boolean;
  /** The exact line (text) or frame bytes (hex) it arrived in. */
  raw: string;
  receivedAt: Date;
  /** Record counter when the protocol has a stable one. */
  recordNumber?: number;
  /** Set when the record is complete but not usable (e.g. the meter flags it unreliable): never ingested. */
  unusable?: string;
}

export interface SessionTimeouts {
  /** Longest wait for one reply line/frame. */
  replyMs: number;
  /** Quiet time that tells a meter has stopped talking (before a retry). */
  quietMs: number;
}

export interface SessionOptions {
  timeouts: SessionTimeouts;
  /** Bounded retries per exchange (per frame, per command, per dump attempt). */
  retries: number;
  /** Gateway clock; tests may pin it. */
  now: () => Date;
}

export const DEFAULT_SESSION_OPTIONS: SessionOptions = {
  timeouts: { replyMs: 2000, quietMs: 300 },
  retries: 3,
  now: () => new Date(),
};

export interface FetchProgress {
  (done: number, total: number | undefined): void;
}

/** The protocol steps of any cable meter, serial or USB. */
export interface CableMeterSession<P extends string> {
  readonly protocol: P;
  /** Wake the meter / reset the link. */
  connect(): Promise<void>;
  /** Serial number, clock and unit. */
  readConfig(): Promise<MeterConfig>;
  /**
   * Dump the records. Each complete, verified record is handed to `onRecord` as soon as it is complete, so
   * what arrived before a failure is kept. Throws a MeterError when the dump cannot finish.
   */
  fetch(onRecord: (r: MeterRecord) => void, onProgress?: FetchProgress): Promise<void>;
  /** Leave the meter in a sane state; never throws. */
  disconnect(): Promise<void>;
}

export type MeterSession = CableMeterSession<SerialProtocol>;

export type SessionFactory = (link: SerialLink, opts: SessionOptions) => MeterSession;
