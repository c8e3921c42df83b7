// What every BLE device family shares, Tidepool-style: the same small steps on every connection
// (subscribe → read config/clock → fetch → process → hand over → live or disconnect); a family fills in the
// steps. The class owns no timers beyond its sink, and its run() never rejects: a failure is an outcome.
import type { DeviceInfo, IngestResult, Reading } from '../../gateway/readings/reading.ts';
import type { Logger } from '../../gateway/log.ts';
import type { MappingOptions } from '../../gateway/hddt/materialize.ts';
import { touchDevice } from '../../gateway/store/devices.ts';
import type { Store } from '../../gateway/store/store.ts';
import type { BleConfig } from '../../config/types.ts';
import type { Refusal } from './cgm-records.ts';
import { ReadingSink } from './reading-sink.ts';
import type { RejectionCounters } from './rejections.ts';
import { CHAR, SERVICE } from './uuids.ts';
import type { GattLink } from './transport.ts';

export type DriverOutcome =
  /** fetched everything and hung up on purpose (meters) */
  | 'synced'
  /** the link went down (by the device, the radio, or a stop) */
  | 'disconnected'
  /** a step failed; the link was closed */
  | 'failed';

export interface DriverDeps {
  store: Store;
  log: Logger;
  config: BleConfig;
  /** The gateway's IANA zone: meters' wall clocks and unknown CGM zones are read in it. */
  timeZone: string;
  mapping?: MappingOptions;
  /** CGM LO/HI values (the HDDT default detection limits). */
  cgmLimits: { lower: number; upper: number };
  counters: RejectionCounters;
  /** Stored/duplicate totals per device, for metrics. */
  onIngested?(deviceKey: string, result: IngestResult): void;
  now?: () => Date;
}

export interface DeviceIdentity {
  address: string;
  name?: string;
}

export abstract class DeviceDriver {
  readonly device: DeviceInfo;
  protected readonly sink: ReadingSink;
  protected readonly log: Logger;
  protected link: GattLink | null = null;

  constructor(
    protected readonly deps: DriverDeps,
    id: DeviceIdentity,
    kind: DeviceInfo['kind'],
  ) {
    this.device = {
      key: `ble:${id.address}`,
      transport: 'ble',
      kind,
      ...(id.name ? { name: id.name } : {}),
    };
    this.log = deps.log.child({ device: this.device.key });
    this.sink = new ReadingSink(deps.store, {
      batchSize: deps.config.batchSize,
      flushMs: deps.config.flushMs,
      ...(deps.mapping ? { mapping: deps.mapping } : {}),
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

  /** Runs the steps on a connected link; resolves when the session with the device is over. */
  async run(link: GattLink): Promise<DriverOutcome> {
    this.link = link;
    const down = new Promise<'disconnected'>((resolve) => link.onDisconnect(() => resolve('disconnected')));
    link.onDisconnect(() => this.onLinkDown());
    try {
      await this.subscribe(link);
      await this.readDeviceInformation(link);
      await this.readConfig(link);
      touchDevice(this.deps.store, this.device.key, this.now().getTime());
      await this.fetch(link);
      this.sink.flush();
      if (!link.connected) return 'disconnected';
      if (this.hangUpAfterSync()) {
        await link.disconnect();
        return 'synced';
      }
      this.log.info('backfill done; receiving live values');
      return await down;
    } catch (err) {
      if (!link.connected) {
        this.log.info({ reason: (err as Error).message }, 'link went down during the sync');
        return 'disconnected';
      }
      this.log.warn({ err }, 'BLE sync step failed; disconnecting');
      await link.disconnect();
      return 'failed';
    } finally {
      this.sink.flush();
    }
  }

  /** Ends the session (gateway stop). */
  async close(): Promise<void> {
    await this.link?.disconnect();
    this.sink.close();
  }

  protected abstract subscribe(link: GattLink): Promise<void>;
  protected abstract readConfig(link: GattLink): Promise<void>;
  protected abstract fetch(link: GattLink): Promise<void>;
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

  protected handOver(readings: Reading[]): void {
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
