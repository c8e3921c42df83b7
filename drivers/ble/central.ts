// The BLE central: scans for CGMS/GLS devices (optionally only allow-listed addresses), connects one at a time
// (the controller creates one connection at a time), runs the family's driver on each link concurrently, and
// brings devices back with capped exponential backoff + jitter after a failure or a lost link. Meters that hung
// up after a sync come back after ble.meterResyncMs. Only devices in ble.allowList or added with `pair add` are
// connected (device-choice.ts); other advertisers are listed in status() as "not-allowed".
import type { IngestResult } from '../../gateway/readings/reading.ts';
import { Backoff } from '../../lib/backoff.ts';
import { CgmDriver } from './cgm-driver.ts';
import type { DeviceDriver, DriverDeps, DriverOutcome } from './device-driver.ts';
import { GlucoseMeterDriver } from './glucose-driver.ts';
import { DeviceChoice, type PairedSource } from './device-choice.ts';
import { MeterMemory } from './meter-memory.ts';
import { RejectionCounters } from './rejections.ts';
import type { Advertisement, BleRadio } from './transport.ts';
import { SERVICE } from './uuids.ts';

/** BlueZ's answer to Connect when the device refuses the stored keys (fake BlueZ: loseBond). */
const BOND_LOST = /AuthenticationFailed|Key Missing/i;

export type CentralDeps = Omit<DriverDeps, 'counters' | 'onIngested'> & {
  /** Devices added with `pair add` (paired-devices.ts); absent = only the allowList. */
  paired?: PairedSource;
};

type DeviceState = 'idle' | 'queued' | 'connecting' | 'syncing' | 'waiting';

interface DeviceEntry {
  id: string;
  address: string;
  family: 'cgm' | 'glucose';
  name?: string;
  companyId?: number;
  state: DeviceState;
  backoff: Backoff;
  notBefore: number;
  driver: DeviceDriver | null;
  connects: number;
  failures: number;
  stored: number;
  duplicates: number;
  lastOutcome?: DriverOutcome | 'connect-failed' | 'bond-lost' | NonNullable<DeviceDriver['blockedBy']>;
}

export interface DeviceStatus {
  key: string;
  family: 'cgm' | 'glucose';
  /** not-allowed: advertising, but neither in ble.allowList nor paired: listed, never connected. */
  state: DeviceState | 'not-allowed';
  connects: number;
  failures: number;
  stored: number;
  duplicates: number;
  lastOutcome?: string;
  /** Advertised name and signal strength (not-allowed devices, so an operator can tell them apart). */
  name?: string;
  rssi?: number;
  lastSeenAt?: string;
}

export class BleCentral {
  readonly counters = new RejectionCounters();
  private readonly devices = new Map<string, DeviceEntry>();
  private readonly queue: DeviceEntry[] = [];
  readonly choice: DeviceChoice;
  private connecting = false;
  private stopping = false;
  private rescanTimer: NodeJS.Timeout | null = null;
  private rescanAt = Infinity;
  private readonly runs = new Set<Promise<void>>();

  private readonly radio: BleRadio;
  private readonly deps: CentralDeps;

  constructor(radio: BleRadio, deps: CentralDeps) {
    this.radio = radio;
    // one memory for all visits (a driver lives for one connection)
    this.deps = { ...deps, meterMemory: deps.meterMemory ?? new MeterMemory(null) };
    this.choice = new DeviceChoice({
      allowList: deps.config.allowList,
      unknownDevices: deps.config.unknownDevices,
      ...(deps.paired ? { paired: deps.paired } : {}),
    });
  }

  async start(powerOnTimeoutMs = 15_000): Promise<void> {
    this.radio.onDiscover((adv) => this.onDiscover(adv));
    await this.radio.powerOn(powerOnTimeoutMs);
    this.deps.log.info({ adapter: this.radio.address, services: this.deps.config.services }, 'BLE scanning');
    await this.scan();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.rescanTimer) clearTimeout(this.rescanTimer);
    await this.radio.stopScanning().catch(() => undefined);
    for (const d of this.devices.values()) await d.driver?.close().catch(() => undefined);
    await Promise.allSettled([...this.runs]);
    await this.radio.close().catch(() => undefined);
  }

  status(): DeviceStatus[] {
    const managed: DeviceStatus[] = [...this.devices.values()].map((d) => ({
      key: `ble:${d.address}`,
      family: d.family,
      state: d.state,
      connects: d.connects,
      failures: d.failures,
      stored: d.stored,
      duplicates: d.duplicates,
      ...(d.lastOutcome ? { lastOutcome: d.lastOutcome } : {}),
    }));
    const listed: DeviceStatus[] = this.choice.listed().map((u) => ({
      key: `ble:${u.address}`,
      family: u.family,
      state: 'not-allowed',
      connects: 0,
      failures: 0,
      stored: 0,
      duplicates: 0,
      ...(u.name ? { name: u.name } : {}),
      rssi: u.rssi,
      lastSeenAt: u.lastSeenAt,
    }));
    return [...managed, ...listed];
  }

  /** Flat gauges/counters for a metrics exporter (label values in the key). */
  metrics(): Record<string, number> {
    const out: Record<string, number> = {};
    out['ble_unknown_devices'] = this.choice.listed().length;
    for (const s of this.status()) {
      if (s.state === 'not-allowed') continue;
      out[`ble_connects_total{device="${s.key}"}`] = s.connects;
      out[`ble_failures_total{device="${s.key}"}`] = s.failures;
      out[`ble_records_stored_total{device="${s.key}"}`] = s.stored;
      out[`ble_records_duplicate_total{device="${s.key}"}`] = s.duplicates;
      out[`ble_bond_lost{device="${s.key}"}`] = s.lastOutcome === 'bond-lost' ? 1 : 0;
    }
    for (const r of this.counters.list())
      out[`ble_records_rejected_total{device="${r.device}",reason="${r.reason}"}`] = r.count;
    return out;
  }

  private familyOf(adv: Advertisement): 'cgm' | 'glucose' | null {
    const wanted = this.deps.config.services;
    if (wanted.includes('181f') && adv.serviceUuids.includes(SERVICE.cgm)) return 'cgm';
    if (wanted.includes('1808') && adv.serviceUuids.includes(SERVICE.glucose)) return 'glucose';
    return null;
  }

  private onDiscover(adv: Advertisement): void {
    if (this.stopping || !adv.connectable) return;
    const family = this.familyOf(adv);
    if (!family) return;
    if (!this.allowed(adv, family)) return;
    let d = this.devices.get(adv.address);
    if (!d) {
      d = {
        id: adv.id,
        address: adv.address,
        family,
        ...(adv.name ? { name: adv.name } : {}),
        state: 'idle',
        backoff: new Backoff(this.deps.config.backoff),
        notBefore: 0,
        driver: null,
        connects: 0,
        failures: 0,
        stored: 0,
        duplicates: 0,
      };
      this.devices.set(adv.address, d);
      this.deps.log.info({ device: `ble:${adv.address}`, family, name: adv.name }, 'BLE device found');
    }
    d.id = adv.id;
    if (adv.companyId !== undefined) d.companyId = adv.companyId;
    if (d.state !== 'idle' && d.state !== 'waiting') return;
    if (Date.now() + 5 < d.notBefore) {
      this.scheduleRescan(d.notBefore);
      return;
    }
    d.state = 'queued';
    this.queue.push(d);
    void this.connectNext();
  }

  /** Unknown advertisers are listed (and logged once each), never connected. */
  private allowed(adv: Advertisement, family: 'cgm' | 'glucose'): boolean {
    const choice = this.choice.decide(adv, family);
    if (choice.connect) return true;
    if (choice.pairedError)
      this.deps.log.error(
        { reason: choice.pairedError },
        'BLE paired-devices file unreadable; using the allowList only',
      );
    if (choice.firstSeen) {
      this.deps.log.info(
        { device: `ble:${adv.address}`, family, name: adv.name, rssi: adv.rssi },
        `BLE device not connected: not in ble.allowList and not paired (hddt-gateway pair add ${adv.address})`,
      );
    }
    return false;
  }

  private async connectNext(): Promise<void> {
    if (this.connecting || this.stopping) return;
    const d = this.queue.shift();
    if (!d) return;
    this.connecting = true;
    d.state = 'connecting';
    try {
      const link = await this.radio.connect(d.id, {
        timeoutMs: this.deps.config.connectTimeoutMs,
        // noble fails a connect when one listed service is missing; a meter's clock may sit in any of several
        // (CTS, a vendor service), so meters get all of theirs discovered
        services: d.family === 'cgm' ? [SERVICE.cgm, SERVICE.deviceInformation] : [],
      });
      d.connects++;
      d.state = 'syncing';
      if (d.lastOutcome === 'bond-lost') {
        delete d.lastOutcome;
        this.deps.log.info({ device: `ble:${d.address}` }, 'BLE bond works again');
      }
      const driver = this.makeDriver(d);
      d.driver = driver;
      const run = driver
        .run(link)
        .catch((err: unknown) => {
          this.deps.log.error({ err, device: driver.device.key }, 'BLE driver crashed');
          return 'failed' as const;
        })
        .then((outcome) => this.afterRun(d, outcome, driver.blockedBy));
      this.runs.add(run);
      void run.finally(() => this.runs.delete(run));
    } catch (err) {
      d.failures++;
      d.lastOutcome = 'connect-failed';
      const reason = (err as Error).message;
      if (BOND_LOST.test(reason)) this.bondLost(d, reason);
      else this.deps.log.warn({ device: `ble:${d.address}`, reason }, 'BLE connect failed');
      this.wait(d, d.backoff.next());
    } finally {
      this.connecting = false;
    }
    if (this.queue.length > 0) void this.connectNext();
    else await this.scan();
  }

  /** BlueZ holds keys the device no longer accepts: it was reset or paired elsewhere; only pairing again helps. */
  private bondLost(d: DeviceEntry, reason: string): void {
    d.lastOutcome = 'bond-lost';
    this.deps.log.warn(
      { device: `ble:${d.address}`, reason: 'bond-lost', detail: reason },
      `BLE bond lost (meter reset or paired with another phone?): pair it again with the meter in pairing mode: hddt-gateway pair add ${d.address} --prompt`,
    );
  }

  private makeDriver(d: DeviceEntry): DeviceDriver {
    const deps: DriverDeps = {
      ...this.deps,
      counters: this.counters,
      onIngested: (_key: string, r: IngestResult) => {
        d.stored += r.stored;
        d.duplicates += r.duplicates;
      },
    };
    const id = {
      address: d.address,
      ...(d.name ? { name: d.name } : {}),
      ...(d.companyId !== undefined ? { companyId: d.companyId } : {}),
    };
    return d.family === 'cgm' ? new CgmDriver(deps, id) : new GlucoseMeterDriver(deps, id);
  }

  private afterRun(
    d: DeviceEntry,
    outcome: DriverOutcome,
    blockedBy: DeviceDriver['blockedBy'] = null,
  ): void {
    d.driver = null;
    d.lastOutcome = blockedBy ?? outcome;
    if (this.stopping) return;
    if (outcome === 'synced') {
      d.backoff.reset();
      this.wait(d, this.deps.config.meterResyncMs);
      return;
    }
    if (outcome === 'failed') d.failures++;
    // A link that carried data resets the backoff, so a sensor that drops now and then comes back quickly.
    if (outcome === 'disconnected' && d.stored > 0) d.backoff.reset();
    this.wait(d, d.backoff.next());
  }

  private wait(d: DeviceEntry, ms: number): void {
    d.state = 'waiting';
    d.notBefore = Date.now() + ms;
    this.deps.log.info({ device: `ble:${d.address}`, retryInMs: ms }, 'BLE device waiting');
    this.scheduleRescan(d.notBefore);
  }

  /** Restart scanning at `at`: duplicate filtering reports each device once per scan, so a restart re-reports it. */
  private scheduleRescan(at: number): void {
    if (this.stopping || at >= this.rescanAt) return;
    if (this.rescanTimer) clearTimeout(this.rescanTimer);
    this.rescanAt = at;
    this.rescanTimer = setTimeout(
      () => {
        this.rescanTimer = null;
        this.rescanAt = Infinity;
        void this.scan();
      },
      Math.max(0, at - Date.now()),
    );
  }

  private async scan(): Promise<void> {
    if (this.stopping || this.connecting) return;
    try {
      await this.radio.startScanning(this.deps.config.services);
    } catch (err) {
      this.deps.log.warn({ reason: (err as Error).message }, 'BLE scan start failed; retrying');
      this.scheduleRescan(Date.now() + this.deps.config.backoff.minMs);
    }
  }
}
