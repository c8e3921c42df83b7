// `hddt-gateway dump --usb [PATH] [--protocol P]`: reads every record of a plugged USB meter into the store
// once, with a progress bar on a terminal and the same one-line summary as a serial dump. Without PATH the
// first meter found is read; a PATH the bus does not list needs --protocol (contour-usb, freestyle-hid,
// verio-scsi).
import fs from 'node:fs';
import { listHidDevices, nodeHid, UsbUnavailableError } from '../../drivers/usb/node-hid-link.ts';
import { dumpUsbMeter } from '../../drivers/usb/run-usb-dump.ts';
import { findUsbMeters } from '../../drivers/usb/usb-discovery.ts';
import { USB_PROTOCOLS, type UsbDeviceRef, type UsbProtocol } from '../../drivers/usb/usb-link.ts';
import { ingestOptionsFromConfig } from '../../gateway/hddt/mapping.ts';
import { storePort } from '../../gateway/ingest/port.ts';
import { UsageError } from './common.ts';
import { checkDumpOptions, dumpProgress, openDumpStore, portOpenAsUsage, reportDump } from './dump-report.ts';
import type { DumpCliOptions } from './dump.ts';

function hidList(): (() => ReturnType<typeof listHidDevices>) | undefined {
  try {
    nodeHid();
    return listHidDevices;
  } catch (err) {
    if (!(err instanceof UsbUnavailableError)) throw err;
    process.stderr.write(`hddt-gateway: ${err.message}; looking for SCSI meters only\n`);
    return undefined;
  }
}

/** The meter to read: the one at `--usb PATH` (listed, or named with --protocol), else the first found. */
export function pickUsbMeter(opts: DumpCliOptions, found: UsbDeviceRef[]): UsbDeviceRef {
  const wanted = typeof opts.usb === 'string' ? opts.usb : undefined;
  if (opts.protocol !== undefined && !USB_PROTOCOLS.includes(opts.protocol as UsbProtocol)) {
    throw new UsageError(
      `dump: unknown USB protocol "${opts.protocol}" (known: ${USB_PROTOCOLS.join(', ')})`,
    );
  }
  if (wanted === undefined) {
    const first = found.find((d) => opts.protocol === undefined || d.protocol === opts.protocol);
    if (!first)
      throw new UsageError('dump: no USB meter found (docs/usb-meters.md lists the models and permissions)');
    return first;
  }
  const listed = found.find((d) => d.path === wanted);
  if (listed) return listed;
  if (!fs.existsSync(wanted)) throw new UsageError(`dump: no such device ${wanted}`);
  if (opts.protocol === undefined) {
    throw new UsageError(
      `dump: ${wanted} is not a known USB meter; name its --protocol (${USB_PROTOCOLS.join(', ')})`,
    );
  }
  return { protocol: opts.protocol as UsbProtocol, path: wanted };
}

export async function dumpUsb(
  opts: DumpCliOptions,
  limits: { retries: number; replyMs: number },
): Promise<void> {
  checkDumpOptions(opts);
  const device = pickUsbMeter(opts, findUsbMeters(hidList()));
  const { store, config } = openDumpStore(opts);
  const progress = dumpProgress();
  try {
    const result = await dumpUsbMeter({
      device,
      port: storePort(store, ingestOptionsFromConfig(config)),
      timeZone: opts.timezone,
      session: {
        retries: limits.retries,
        timeouts: { replyMs: limits.replyMs, quietMs: Math.max(20, Math.round(limits.replyMs / 20)) },
      },
      onProgress: progress.onProgress,
    });
    progress.stop();
    reportDump(result, device.path, opts.json);
  } catch (err) {
    if (err instanceof UsbUnavailableError) throw new UsageError(`dump: ${err.message}`);
    portOpenAsUsage(err);
  } finally {
    progress.stop();
    store.close();
  }
}
