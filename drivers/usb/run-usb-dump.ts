// Runs one USB meter dump end to end: open the link, then the visit's steps (drivers/visit.ts): connect → read
// config/clock → fetch → hand over (processed into Readings) → disconnect → close. As for serial meters,
// whatever was complete and verified when a dump fails is handed over; nothing partial or corrupt ever is.
import type { ReadingPort } from '../../gateway/ingest/port.ts';
import type { DeviceInfo, IngestRejection } from '../../gateway/readings/reading.ts';
import type { FreeStyleFamily } from '../codecs/freestyle-records.ts';
import { assertTimeZone } from '../serial/local-time.ts';
import { MeterError } from '../serial/meter-error.ts';
import { processMeterRecords } from '../serial/meter-readings.ts';
import type { FetchProgress, MeterConfig, MeterRecord, SessionOptions } from '../serial/meter-session.ts';
import { runVisit, type DeviceVisit, type VisitOutcome } from '../visit.ts';
import { ContourUsbSession } from './contour-usb-session.ts';
import { FreeStyleSession } from './freestyle-session.ts';
import { openNodeHidLink } from './node-hid-link.ts';
import { openSgRawLink } from './sg-raw-link.ts';
import type { HidLink, ScsiLink, UsbDeviceRef, UsbLink, UsbProtocol } from './usb-link.ts';
import { findUsbModel } from './usb-models.ts';
import { DEFAULT_USB_SESSION_OPTIONS, type UsbMeterSession } from './usb-session.ts';
import { VerioSession } from './verio-session.ts';

export type OpenUsbLink = (device: UsbDeviceRef) => Promise<UsbLink>;

/** The real links: node-hid for HID meters, sg_raw for the Verio. */
export const openUsbLink: OpenUsbLink = async (device) =>
  device.protocol === 'verio-scsi' ? openSgRawLink({ path: device.path }) : openNodeHidLink(device.path);

export interface UsbDumpOptions {
  device: UsbDeviceRef;
  port: ReadingPort;
  timeZone: string;
  session?: Partial<SessionOptions>;
  /** FreeStyle record layout, when the USB ids do not tell (default: from the id table, else `neo`). */
  family?: FreeStyleFamily;
  /** Defaults to the real links; tests hand in a simulated meter. */
  openLink?: OpenUsbLink;
  onConfig?: (config: MeterConfig) => void;
  onProgress?: FetchProgress;
  /** Aborting (the device disappeared, the gateway stops) closes the link: the dump ends as ERR_PORT_CLOSED. */
  signal?: AbortSignal;
}

export interface UsbDumpResult {
  protocol: UsbProtocol;
  config?: MeterConfig;
  deviceKey?: string;
  read: number;
  stored: number;
  duplicates: number;
  expired: number;
  rejected: IngestRejection[];
  error?: MeterError;
}

export function usbDeviceInfo(protocol: UsbProtocol, config: MeterConfig): DeviceInfo {
  return {
    key: `usb:${protocol}:${config.serialNumber}`,
    transport: 'usb',
    kind: 'bgm',
    manufacturer: config.manufacturer,
    model: config.model,
    serialNumber: config.serialNumber,
  };
}

function sessionFor(
  device: UsbDeviceRef,
  link: UsbLink,
  opts: SessionOptions,
  family?: FreeStyleFamily,
): UsbMeterSession {
  const known =
    device.vendorId !== undefined && device.productId !== undefined
      ? findUsbModel(device.vendorId, device.productId)
      : undefined;
  const wrongKind = (): MeterError =>
    new MeterError(
      'ERR_PORT_OPEN',
      `${device.path}: a ${device.protocol} meter needs a ${device.protocol === 'verio-scsi' ? 'SCSI' : 'HID'} link`,
    );
  if (device.protocol === 'verio-scsi') {
    if (link.kind !== 'scsi') throw wrongKind();
    return new VerioSession(link as ScsiLink, opts);
  }
  if (link.kind !== 'hid') throw wrongKind();
  if (device.protocol === 'contour-usb') return new ContourUsbSession(link as HidLink, opts);
  return new FreeStyleSession(
    link as HidLink,
    family ?? known?.family ?? 'neo',
    opts,
    device.model ?? known?.model,
  );
}

export async function dumpUsbMeter(opts: UsbDumpOptions): Promise<UsbDumpResult> {
  assertTimeZone(opts.timeZone);
  const sessionOpts: SessionOptions = {
    ...DEFAULT_USB_SESSION_OPTIONS,
    ...opts.session,
    timeouts: { ...DEFAULT_USB_SESSION_OPTIONS.timeouts, ...opts.session?.timeouts },
  };
  if (opts.signal?.aborted)
    throw new MeterError('ERR_PORT_CLOSED', `${opts.device.path}: aborted before opening`);
  const link = await (opts.openLink ?? openUsbLink)(opts.device);
  const onAbort = (): void => void link.close();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const visit = new UsbMeterVisit(link, sessionFor(opts.device, link, sessionOpts, opts.family), opts);
    await runVisit(visit, opts.port, sessionOpts.now);
    return visit.result;
  } catch (err) {
    await link.close();
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/** A USB meter's visit: the session's protocol steps, records processed into Readings at the hand-over. */
class UsbMeterVisit implements DeviceVisit {
  readonly result: UsbDumpResult;
  private pending: MeterRecord[] = [];

  constructor(
    private readonly link: UsbLink,
    private readonly session: UsbMeterSession,
    private readonly opts: UsbDumpOptions,
  ) {
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
    this.result.deviceKey = usbDeviceInfo(this.session.protocol, config).key;
    this.opts.onConfig?.(config);
  }

  fetch(): Promise<void> {
    return this.session.fetch((r) => {
      this.result.read++;
      this.pending.push(r);
    }, this.opts.onProgress);
  }

  handOver(): void {
    const config = this.result.config;
    if (!config || this.pending.length === 0) return;
    const records = this.pending;
    this.pending = [];
    const device = usbDeviceInfo(this.session.protocol, config);
    const processed = processMeterRecords(device, config, records, this.opts.timeZone);
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
