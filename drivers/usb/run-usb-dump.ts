// Runs one USB meter dump end to end: open the link, then the visit's steps (drivers/visit.ts): connect → read
// config/clock → fetch → hand over (processed into Readings) → disconnect → close. As for serial meters,
// whatever was complete and verified when a dump fails is handed over; nothing partial or corrupt ever is.
import type { ReadingPort } from '../../gateway/ingest/port.ts';
import type { DeviceInfo } from '../../gateway/readings/reading.ts';
import type { FreeStyleFamily } from '../codecs/freestyle-records.ts';
import { assertTimeZone } from '../serial/local-time.ts';
import { MeterError } from '../serial/meter-error.ts';
import { cableDeviceInfo } from '../serial/meter-readings.ts';
import type { FetchProgress, MeterConfig, SessionOptions } from '../serial/meter-session.ts';
import { MeterVisit, type MeterDumpResult } from '../serial/meter-visit.ts';
import { runVisit } from '../visit.ts';
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

export type UsbDumpResult = MeterDumpResult<UsbProtocol>;

export function usbDeviceInfo(protocol: UsbProtocol, config: MeterConfig): DeviceInfo {
  return cableDeviceInfo('usb', protocol, config);
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
    const session = sessionFor(opts.device, link, sessionOpts, opts.family);
    const visit = new MeterVisit(link, session, (c) => usbDeviceInfo(session.protocol, c), opts);
    await runVisit(visit, opts.port, sessionOpts.now);
    return visit.result;
  } catch (err) {
    await link.close();
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
