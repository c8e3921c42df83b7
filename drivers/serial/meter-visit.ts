// A cable meter's visit (serial or USB): the session's protocol steps, its records processed into Readings at
// the hand-over. The steps' order is drivers/visit.ts; what differs between transports is the link, the session
// and how the meter is named, all handed in.
import type { ReadingPort } from '../../gateway/ingest/port.ts';
import type { DeviceInfo, IngestRejection } from '../../gateway/readings/reading.ts';
import type { DeviceVisit, VisitOutcome } from '../visit.ts';
import { MeterError } from './meter-error.ts';
import { processMeterRecords } from './meter-readings.ts';
import type { CableMeterSession, FetchProgress, MeterConfig, MeterRecord } from './meter-session.ts';

export interface MeterDumpResult<P extends string> {
  protocol: P;
  config?: MeterConfig;
  deviceKey?: string;
  /** Complete, verified records received. */
  read: number;
  stored: number;
  duplicates: number;
  /** Older than the historic data period: not stored again (they were or would be purged). */
  expired: number;
  /** Records kept out of the store, by the driver (unusable; identity = the raw record) or by ingest. */
  rejected: IngestRejection[];
  /** Why the dump did not finish; absent when it did. */
  error?: MeterError;
}

export interface MeterVisitOptions {
  port: ReadingPort;
  /** IANA zone the meter clock is set to. */
  timeZone: string;
  onConfig?: (config: MeterConfig) => void;
  onProgress?: FetchProgress;
}

export class MeterVisit<P extends string> implements DeviceVisit {
  readonly result: MeterDumpResult<P>;
  private pending: MeterRecord[] = [];
  private readonly link: { close(): Promise<void> };
  private readonly session: CableMeterSession<P>;
  private readonly deviceOf: (config: MeterConfig) => DeviceInfo;
  private readonly opts: MeterVisitOptions;

  constructor(
    link: { close(): Promise<void> },
    session: CableMeterSession<P>,
    deviceOf: (config: MeterConfig) => DeviceInfo,
    opts: MeterVisitOptions,
  ) {
    this.link = link;
    this.session = session;
    this.deviceOf = deviceOf;
    this.opts = opts;
    this.result = { protocol: session.protocol, read: 0, stored: 0, duplicates: 0, expired: 0, rejected: [] };
  }

  get deviceKey(): string | undefined {
    return this.result.deviceKey;
  }

  connect(): Promise<void> {
    return this.session.connect();
  }

  async readConfig(): Promise<void> {
    const config = await this.session.readConfig();
    this.result.config = config;
    this.result.deviceKey = this.deviceOf(config).key;
    this.opts.onConfig?.(config);
  }

  fetch(): Promise<void> {
    return this.session.fetch((r) => {
      this.result.read++;
      this.pending.push(r);
    }, this.opts.onProgress);
  }

  /** Complete records only; a store failure propagates (the meter keeps them for the next dump). */
  handOver(): void {
    const config = this.result.config;
    if (!config || this.pending.length === 0) return;
    const records = this.pending;
    this.pending = [];
    const processed = processMeterRecords(this.deviceOf(config), config, records, this.opts.timeZone);
    for (const u of processed.unusable)
      this.result.rejected.push({ index: -1, identity: u.raw, reason: u.reason });
    const ingested = this.opts.port.push(processed.readings);
    this.result.stored += ingested.stored;
    this.result.duplicates += ingested.duplicates;
    this.result.expired += ingested.expired ?? 0;
    this.result.rejected.push(...ingested.rejected);
  }

  async afterSync(): Promise<VisitOutcome> {
    return 'synced';
  }

  /** A meter error ends the dump with what was complete; anything else is a fault of ours and propagates. */
  async failed(err: unknown): Promise<VisitOutcome> {
    if (!(err instanceof MeterError)) throw err;
    this.result.error = err;
    return 'failed';
  }

  async release(): Promise<void> {
    await this.session.disconnect();
    await this.link.close();
  }
}
