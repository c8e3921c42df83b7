// Hub mode for USB meters: discovery + one dump per plug-in (the meter appears → read → let go). Pulling the
// meter out mid-dump aborts that dump; what was complete is stored.
import type { ReadingPort } from '../../gateway/ingest/port.ts';
import type { SessionOptions } from '../serial/meter-session.ts';
import { dumpUsbMeter, type OpenUsbLink, type UsbDumpResult } from './run-usb-dump.ts';
import { UsbDiscovery, type UsbDiscoveryOptions } from './usb-discovery.ts';
import type { UsbDeviceRef } from './usb-link.ts';

export interface UsbWatcherOptions extends Omit<UsbDiscoveryOptions, 'onAttach'> {
  port: ReadingPort;
  timeZone: string;
  session?: Partial<SessionOptions>;
  openLink?: OpenUsbLink;
  onDump?: (device: UsbDeviceRef, result: UsbDumpResult) => void;
  onDumpError?: (device: UsbDeviceRef, err: Error) => void;
}

export class UsbWatcher {
  private readonly discovery: UsbDiscovery;
  private readonly running = new Set<Promise<void>>();

  private readonly opts: UsbWatcherOptions;

  constructor(opts: UsbWatcherOptions) {
    this.opts = opts;
    this.discovery = new UsbDiscovery({ ...opts, onAttach: (d, signal) => this.dump(d, signal) });
  }

  private dump(device: UsbDeviceRef, signal: AbortSignal): void {
    const job = dumpUsbMeter({
      device,
      port: this.opts.port,
      timeZone: this.opts.timeZone,
      session: this.opts.session,
      openLink: this.opts.openLink,
      signal,
    }).then(
      (r) => this.opts.onDump?.(device, r),
      (err: Error) => this.opts.onDumpError?.(device, err),
    );
    this.running.add(job);
    void job.finally(() => this.running.delete(job));
  }

  start(): void {
    this.discovery.start();
  }

  /** For tests and one-shot use: one discovery scan now. */
  poll(): void {
    this.discovery.poll();
  }

  async stop(): Promise<void> {
    this.discovery.stop();
    await Promise.all([...this.running]);
  }
}
