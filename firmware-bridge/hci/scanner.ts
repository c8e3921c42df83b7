// The controller's scanner: while the host scans, one advertising event per advertiser each interval (ADV_IND +
// SCAN_RSP, scanning is active), legacy or extended reports as the host asked, each advertiser once only while the
// host filters duplicates. Advertisers are the controller's own peripherals and other controllers on the radio.
import { AdvType, ExtAdvBits, leAdvertisingReport, leExtendedAdvertisingReport } from './events.ts';
import type { Advertiser } from './radio.ts';

export interface ScannerHost {
  send(packet: Buffer): void;
  advertisers(): Iterable<Advertiser>;
  /** scanning started or stopped */
  onScan(enabled: boolean): void;
  isClosed(): boolean;
}

/** The reports one advertising event of p yields: its advertising data, then its scan response. */
export function advertisingReports(p: Advertiser, extended: boolean): Buffer[] {
  const out: Buffer[] = [];
  if (extended) {
    const base = ExtAdvBits.legacy | (p.connectable ? ExtAdvBits.connectable | ExtAdvBits.scannable : 0);
    out.push(leExtendedAdvertisingReport(base, p.addressType, p.address, p.advData, p.rssi));
    if (p.connectable) {
      const type = base | ExtAdvBits.scanResponse;
      out.push(leExtendedAdvertisingReport(type, p.addressType, p.address, p.scanRspData, p.rssi));
    }
  } else {
    const type = p.connectable ? AdvType.advInd : AdvType.advNonconnInd;
    out.push(leAdvertisingReport(type, p.addressType, p.address, p.advData, p.rssi));
    if (p.connectable)
      out.push(leAdvertisingReport(AdvType.scanRsp, p.addressType, p.address, p.scanRspData, p.rssi));
  }
  return out;
}

export class Scanner {
  private readonly host: ScannerHost;
  private readonly intervalMs: number;
  private state = { enabled: false, filterDuplicates: true, extended: false };
  /** peripherals reported since scanning started (filtered while the host filters duplicates) */
  private readonly reported = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(host: ScannerHost, intervalMs: number) {
    this.host = host;
    this.intervalMs = intervalMs;
  }

  get enabled(): boolean {
    return this.state.enabled;
  }

  /** LE Set (Extended) Scan Enable with enable = 1, after its Command Complete went out. */
  start(filterDuplicates: boolean, extended: boolean): void {
    const wasEnabled = this.state.enabled;
    this.state = { enabled: true, filterDuplicates, extended };
    if (!wasEnabled) {
      this.reported.clear();
      this.host.onScan(true);
      this.timer = setInterval(() => this.advertise(), this.intervalMs);
      this.timer.unref();
    }
    // Reports only after the Command Complete (spec E.8); it is already queued ahead of them.
    setImmediate(() => this.advertise());
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.state.enabled) {
      this.state = { ...this.state, enabled: false };
      this.host.onScan(false);
    }
  }

  /** The peripheral is reported again at its next advertising event (it changed, or was connected). */
  forget(address: string): void {
    this.reported.delete(address);
  }

  /** One advertising event per advertiser on the air. */
  advertise(): void {
    if (!this.state.enabled || this.host.isClosed()) return;
    for (const p of this.host.advertisers()) {
      if (!p.isAdvertising) continue;
      if (this.state.filterDuplicates && this.reported.has(p.address)) continue;
      this.reported.add(p.address);
      for (const report of advertisingReports(p, this.state.extended)) this.host.send(report);
    }
  }
}
