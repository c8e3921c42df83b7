// USB meters as a gateway part: watches for the configured meter kinds, dumps each once when it appears, logs
// each dump's summary. node-hid is optional: without it (or without libusb-1.0 for its addon) the part says so
// once and still watches for SCSI meters.
import type { Component } from './component.ts';
import { logDump } from './dump-log.ts';
import { listHidDevices, nodeHid, UsbUnavailableError } from '../drivers/usb/node-hid-link.ts';
import type { OpenUsbLink } from '../drivers/usb/run-usb-dump.ts';
import type { HidDeviceEntry } from '../drivers/usb/node-hid-link.ts';
import { UsbWatcher } from '../drivers/usb/usb-watcher.ts';

export interface UsbComponentOptions {
  listHid?: () => HidDeviceEntry[];
  listScsi?: () => { path: string; vendor: string }[];
  openLink?: OpenUsbLink;
}

export function createUsbComponent(opts: UsbComponentOptions = {}): Component {
  return {
    name: 'usb',
    async start(ctx) {
      const cfg = ctx.config.usb;
      const log = ctx.log.child({ component: 'usb' });
      let listHid = opts.listHid;
      const wantsHid = cfg.protocols.some((p) => p !== 'verio-scsi');
      if (!listHid && wantsHid) {
        try {
          nodeHid();
          listHid = listHidDevices;
        } catch (err) {
          if (!(err instanceof UsbUnavailableError)) throw err;
          log.error({ error: err.message }, 'USB HID meters cannot be read');
        }
      }
      const watcher = new UsbWatcher({
        protocols: cfg.protocols,
        listHid,
        listScsi: opts.listScsi,
        intervalMs: cfg.pollMs,
        port: ctx.port,
        timeZone: cfg.timezone ?? ctx.config.timezone,
        openLink: opts.openLink,
        onDump: (device, r) => logDump(log, { path: device.path }, r, 'USB meter'),
        onDumpError: (device, err) =>
          log.warn({ path: device.path, error: err.message }, 'USB meter could not be read'),
        onError: (err) => log.warn({ error: err.message }, 'listing USB devices failed'),
      });
      watcher.start();
      return () => watcher.stop();
    },
  };
}
