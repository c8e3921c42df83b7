// Hot-plug for USB meters by polling, as port-discovery.ts does for serial cables: HID meters from node-hid's
// device list matched against the USB id table; Verio meters from the SCSI generic devices whose INQUIRY vendor
// the kernel reports as `LifeScan` (/sys/class/scsi_generic/sgN/device/vendor). Each attached meter gets an
// AbortSignal that fires when it disappears, so its dump closes cleanly.
import fs from 'node:fs';
import path from 'node:path';
import type { HidDeviceEntry } from './node-hid-link.ts';
import type { UsbDeviceRef, UsbProtocol } from './usb-link.ts';
import { findUsbModel } from './usb-models.ts';

export interface UsbDiscoveryOptions {
  protocols: readonly UsbProtocol[];
  /** HID devices present (node-hid's list); absent = HID meters are not looked for. */
  listHid?: () => HidDeviceEntry[];
  /** SCSI devices present with their vendor; defaults to sysfs. */
  listScsi?: () => { path: string; vendor: string }[];
  intervalMs?: number;
  onAttach: (device: UsbDeviceRef, signal: AbortSignal) => void;
  onError?: (err: Error) => void;
}

export function sysfsScsiDevices(root = '/sys/class/scsi_generic'): { path: string; vendor: string }[] {
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return []; // no SCSI generic driver loaded: no Verio can be present
  }
  return names.flatMap((n) => {
    try {
      return [
        {
          path: `/dev/${n}`,
          vendor: fs.readFileSync(path.join(root, n, 'device', 'vendor'), 'latin1').trim(),
        },
      ];
    } catch {
      return [];
    }
  });
}

export class UsbDiscovery {
  private readonly attached = new Map<string, AbortController>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  private readonly opts: UsbDiscoveryOptions;

  constructor(opts: UsbDiscoveryOptions) {
    this.opts = opts;
  }

  private scan(): Map<string, UsbDeviceRef> {
    const found = new Map<string, UsbDeviceRef>();
    const want = new Set(this.opts.protocols);
    if (this.opts.listHid && (want.has('contour-usb') || want.has('freestyle-hid'))) {
      for (const d of this.opts.listHid()) {
        const m = findUsbModel(d.vendorId, d.productId);
        if (!m || !want.has(m.protocol)) continue;
        found.set(d.path, {
          protocol: m.protocol,
          path: d.path,
          vendorId: d.vendorId,
          productId: d.productId,
          model: m.model,
          ...(d.serialNumber ? { serialNumber: d.serialNumber } : {}),
        });
      }
    }
    if (want.has('verio-scsi')) {
      for (const d of (this.opts.listScsi ?? sysfsScsiDevices)()) {
        if (d.vendor === 'LifeScan')
          found.set(d.path, { protocol: 'verio-scsi', path: d.path, model: 'OneTouch Verio' });
      }
    }
    return found;
  }

  /** One scan: attach what appeared, abort what went away. */
  poll(): void {
    let found: Map<string, UsbDeviceRef>;
    try {
      found = this.scan();
    } catch (err) {
      this.opts.onError?.(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    for (const [p, abort] of this.attached) {
      if (!found.has(p)) {
        this.attached.delete(p);
        abort.abort(new Error(`${p} disappeared`));
      }
    }
    for (const [p, ref] of found) {
      if (this.attached.has(p)) continue;
      const abort = new AbortController();
      this.attached.set(p, abort);
      this.opts.onAttach(ref, abort.signal);
    }
  }

  start(): void {
    this.stopped = false;
    const tick = (): void => {
      if (this.stopped) return;
      this.poll();
      this.timer = setTimeout(tick, this.opts.intervalMs ?? 2000);
    };
    tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const [p, abort] of this.attached) abort.abort(new Error(`${p}: discovery stopped`));
    this.attached.clear();
  }
}

/** The USB meters plugged in now (for `dump --usb`); HID meters only when node-hid can be used. */
export function findUsbMeters(
  listHid: (() => HidDeviceEntry[]) | undefined,
  listScsi: () => { path: string; vendor: string }[] = sysfsScsiDevices,
): UsbDeviceRef[] {
  const out: UsbDeviceRef[] = [];
  const d = new UsbDiscovery({
    protocols: ['contour-usb', 'freestyle-hid', 'verio-scsi'],
    listHid,
    listScsi,
    onAttach: (ref) => out.push(ref),
  });
  d.poll();
  d.stop();
  return out;
}
