// HID links on node-hid (hidapi; its hidraw backend on Linux). node-hid is an optional dependency with a native
// addon: when it is missing or its addon cannot load (its Linux prebuilds also link libusb-1.0), the USB part
// says exactly that instead of failing somewhere later.
import { createRequire } from 'node:module';
import { GatewayError } from '../../lib/errors.ts';
import { MeterError } from '../serial/meter-error.ts';
import type { HidLink } from './usb-link.ts';

import type * as NodeHidModule from 'node-hid';

type NodeHid = typeof NodeHidModule;

export interface HidDeviceEntry {
  path: string;
  vendorId: number;
  productId: number;
  serialNumber?: string;
  product?: string;
  manufacturer?: string;
}

export class UsbUnavailableError extends GatewayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_USB_UNAVAILABLE', message, options);
  }
}

let loaded: NodeHid | null = null;

/** node-hid with its hidraw backend, loaded on first use; throws UsbUnavailableError saying what is missing. */
export function nodeHid(): NodeHid {
  if (loaded) return loaded;
  let mod: NodeHid;
  try {
    mod = createRequire(import.meta.url)('node-hid') as NodeHid;
  } catch (err) {
    throw new UsbUnavailableError(
      'USB HID meters need the optional package node-hid, which is not installed (npm install node-hid)',
      { cause: err },
    );
  }
  if (process.platform === 'linux') mod.setDriverType('hidraw');
  try {
    mod.devices(); // loads the addon now, so a missing shared library shows here
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const hint = /libusb/.test(msg) ? ' (install the Debian package libusb-1.0-0)' : '';
    throw new UsbUnavailableError(`node-hid could not load its native addon: ${msg}${hint}`, { cause: err });
  }
  loaded = mod;
  return mod;
}

export function listHidDevices(): HidDeviceEntry[] {
  return nodeHid()
    .devices()
    .filter((d): d is typeof d & { path: string } => typeof d.path === 'string')
    .map((d) => ({
      path: d.path,
      vendorId: d.vendorId,
      productId: d.productId,
      ...(d.serialNumber ? { serialNumber: d.serialNumber } : {}),
      ...(d.product ? { product: d.product } : {}),
      ...(d.manufacturer ? { manufacturer: d.manufacturer } : {}),
    }));
}

export async function openNodeHidLink(path: string): Promise<HidLink> {
  const hid = nodeHid();
  let dev: Awaited<ReturnType<NodeHid['HIDAsync']['open']>>;
  try {
    dev = await hid.HIDAsync.open(path);
  } catch (err) {
    throw new MeterError(
      'ERR_PORT_OPEN',
      `${path}: ${(err as Error).message} (see docs/usb-meters.md, permissions)`,
      {
        cause: err,
      },
    );
  }
  let closed = false;
  const gone = (err: unknown): MeterError =>
    new MeterError('ERR_PORT_CLOSED', `${path}: ${closed ? 'closed' : (err as Error).message}`, {
      cause: err,
    });
  return {
    kind: 'hid',
    async write(report) {
      if (closed) throw gone(null);
      // hidapi takes the report number first; 0 = the device has none, and is not sent.
      try {
        await dev.write(Buffer.concat([Buffer.of(0), Buffer.from(report)]));
      } catch (err) {
        throw gone(err);
      }
    },
    async read(timeoutMs) {
      if (closed) throw gone(null);
      let data: Buffer | undefined;
      try {
        data = await dev.read(timeoutMs);
      } catch (err) {
        throw gone(err);
      }
      if (!data || data.length === 0)
        throw new MeterError('ERR_TIMEOUT', `${path}: no report within ${timeoutMs} ms`);
      return new Uint8Array(data);
    },
    async close() {
      if (closed) return;
      closed = true;
      await dev.close().catch(() => undefined);
    },
  };
}
