// What every BLE device family shares: the visit's steps (drivers/visit.ts) on every connection — subscribe →
// read Device Information and the family's config/clock → fetch → hand over → live or disconnect; a family
// fills in subscribe, config and fetch. The class owns no timers beyond its sink, and run() never rejects: a
// failure is an outcome.
import type { ReadingPort } from '../../gateway/ingest/port.ts';
import type { DeviceInfo, IngestResult, Reading } from '../../gateway/readings/reading.ts';
import type { Logger } from '../../gateway/log.ts';
import type { BleConfig } from '../../config/types.ts';
import type { Refusal } from './cgm-records.ts';
import { NeedsBondError } from './paced-racp.ts';
import { ReadingSink } from './reading-sink.ts';
import type { HubClock } from '../../lib/hub-clock.ts';
import type { MeterMemory } from './meter-memory.ts';
import type { RejectionCounters } from './rejections.ts';
import { CHAR, SERVICE } from './uuids.ts';
import type { GattLink } from './transport.ts';
import { runVisit, type DeviceVisit, type VisitOutcome } from '../visit.ts';

/** synced: fetched everything and hung up on purpose (meters); disconnected: the link went down (by the
 * device, the radio, or a stop); failed: a step failed and the link was closed. */
export type DriverOutcome = VisitOutcome;

export interface DriverDeps {
  /** Where readings go and what the core already has (the core's port). */
  port: ReadingPort;
  log: Logger;
  config: BleConfig;
  /** The gateway's IANA zone: meters' wall clocks and unknown CGM zones are read in it. */
  timeZone: string;
  /** CGM LO/HI values (the HDDT default detection limits). */
  cgmLimits: { lower: number; upper: number };
  counters: RejectionCounters;
  /** Whether the hub clock is synchronized (ble.hubClock "check"; the system's time daemons when absent). */
  hubClock?: HubClock;
  /** Glucose meters' fingerprints for sequence reset detection (in memory when absent). */
  meterMemory?: MeterMemory;
  /** Stored/duplicate totals per device, for metrics. */
  onIngested?(deviceKey: string, result: IngestResult): void;
  now?: () => Date;
}

export interface DeviceIdentity {
  address: string;
  name?: string;
  companyId?: number;
}

export abstract class DeviceDriver implements DeviceVisit {
  readonly device: DeviceInfo;
  protected readonly sink: ReadingSink;
  protected readonly log: Logger;
  protected link: GattLink | null = null;
  /** Why the last visit could not sync, when the operator must act: a bond (paced-racp.ts), the hub clock. */
  blockedBy: 'needs-bond' | 'hub-clock-unsynchronized' | null = null;
  private down: Promise<'disconnected'> = Promise.resolve('disconnected');

  protected readonly deps: DriverDeps;

  constructor(deps: DriverDeps, id: DeviceIdentity, kind: DeviceInfo['kind']) {
    this.deps = deps;
    this.device = {
      key: `ble:${id.address}`,
      transport: 'ble',
      kind,
      ...(id.name ? { name: id.name } : {}),
    };
    this.log = deps.log.child({ device: this.device.key });
    this.sink = new ReadingSink(deps.port, {
      batchSize: deps.config.batchSize,
      flushMs: deps.config.flushMs,
      onResult: (batch, result) => this.onIngested(batch, result),
      onError: (batch, err) => {
        this.log.error({ err, records: batch.length }, 'ingest failed; the next sync fetches these again');
        void this.link?.disconnect();
      },
    });
  }

  /** The service the family is found by (181f / 1808). */
  abstract readonly service: string;

  protected now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** Runs the visit's steps on a connected link; resolves when the session with the device is over. */
  async run(link: GattLink): Promise<DriverOutcome> {
    this.link = link;
    this.down = new Promise<'disconnected'>((resolve) => link.onDisconnect(() => resolve('disconnected')));
    link.onDisconnect(() => this.onLinkDown());
    return runVisit(this, this.deps.port, () => this.now());
  }

  get deviceKey(): string {
    return this.device.key;
  }

  async connect(): Promise<void> {
    await this.subscribe(this.connected());
  }

  async readConfig(): Promise<void> {
    await this.readDeviceInformation(this.connected());
    await this.readFamilyConfig(this.connected());
  }

  async fetch(): Promise<void> {
    await this.fetchRecords(this.connected());
  }

  handOver(): void {
    this.sink.flush();
  }

  async afterSync(): Promise<DriverOutcome> {
    const link = this.connected();
    if (!link.connected) return 'disconnected';
    if (this.hangUpAfterSync()) {
      await link.disconnect();
      return 'synced';
    }
    this.log.info('backfill done; receiving live values');
    return await this.down;
  }

  async failed(err: unknown): Promise<DriverOutcome> {
    const link = this.connected();
    if (!link.connected) {
      this.log.info({ reason: (err as Error).message }, 'link went down during the sync');
      return 'disconnected';
    }
    if (err instanceof NeedsBondError) {
      this.blockedBy = 'needs-bond';
      this.log.warn({ reason: 'needs-bond' }, err.message);
    } else this.log.warn({ err }, 'BLE sync step failed; disconnecting');
    await link.disconnect();
    return 'failed';
  }

  /** The link is let go of by afterSync/failed (or it went down by itself): nothing more to do. */
  async release(): Promise<void> {}

  private connected(): GattLink {
    if (!this.link) throw new Error('no link: run() sets it');
    return this.link;
  }

  /** Ends the session (gateway stop). */
  async close(): Promise<void> {
    await this.link?.disconnect();
    this.sink.close();
  }

  protected abstract subscribe(link: GattLink): Promise<void>;
  protected abstract readFamilyConfig(link: GattLink): Promise<void>;
  protected abstract fetchRecords(link: GattLink): Promise<void>;
  protected hangUpAfterSync(): boolean {
    return false;
  }
  /** Records received so far are valid: store them now; the next sync asks from the new last one. */
  protected onLinkDown(): void {
    this.sink.flush();
  }

  /** Device Information (0x180A) when present: manufacturer, model, serial number. */
  private async readDeviceInformation(link: GattLink): Promise<void> {
    const fields = [
      ['manufacturer', CHAR.manufacturerName],
      ['model', CHAR.modelNumber],
      ['serialNumber', CHAR.serialNumber],
    ] as const;
    for (const [key, uuid] of fields) {
      if (!link.has(SERVICE.deviceInformation, uuid)) continue;
      const text = (await link.read(SERVICE.deviceInformation, uuid))
        .toString('utf8')
        .replace(/\0+$/, '')
        .trim();
      if (text) this.device[key] = text.slice(0, 100);
    }
  }

  protected refuse(refusals: Refusal[]): void {
    for (const r of refusals) {
      this.deps.counters.add(this.device.key, r.reason);
      this.log.warn({ reason: r.reason, detail: r.detail, raw: r.raw }, 'BLE record rejected');
    }
  }

  protected pushReadings(readings: Reading[]): void {
    this.sink.push(readings);
  }

  private onIngested(batch: Reading[], result: IngestResult): void {
    for (const r of result.rejected) {
      this.deps.counters.add(this.device.key, 'invalid-reading');
      this.log.warn(
        { reason: 'invalid-reading', detail: r.reason, raw: batch[r.index]?.raw },
        'BLE record rejected by ingest',
      );
    }
    this.deps.onIngested?.(this.device.key, result);
  }
}
