// Device Information service (0x180A): what a collector reads to name the device (manufacturer, model,
// serial number, firmware revision). Static UTF-8 strings, as on every real sensor.
import type { ServiceDefinition } from '../hci/index.ts';

export interface DeviceInformation {
  manufacturer: string;
  model: string;
  serial: string;
  firmware: string;
}

export const DEVICE_INFORMATION_UUID = '180a';

export function deviceInformationService(info: DeviceInformation): ServiceDefinition {
  const text = (uuid: string, value: string) => ({
    uuid,
    properties: ['read'] as const,
    value: Buffer.from(value, 'utf8'),
  });
  return {
    uuid: DEVICE_INFORMATION_UUID,
    characteristics: [
      text('2a29', info.manufacturer),
      text('2a24', info.model),
      text('2a25', info.serial),
      text('2a26', info.firmware),
    ],
  };
}

/** A stable serial number derived from the address when none is given ("C0112233…" → "SIM-33445566"). */
export function serialFromAddress(address: string): string {
  return `SIM-${address
    .replace(/[^0-9a-f]/gi, '')
    .slice(-8)
    .toUpperCase()}`;
}
