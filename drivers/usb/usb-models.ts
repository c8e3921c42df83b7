// USB ids of the meters these drivers read (docs/usb-meters.md). Sources: glucometerutils (Contour USB
// 1a79:6002, InsuLinx 1a61:3460), glucometer-protocols (Precision Neo 1a61:3850, Verio 2015 2766:0000,
// Select Plus 2766:1000, Select Plus Flex 2766:1004), Tidepool lib/core/driverManifests.js (the rest).
import type { FreeStyleFamily } from '../codecs/freestyle-records.ts';
import type { UsbProtocol } from './usb-link.ts';

export interface UsbModel {
  vendorId: number;
  productId: number;
  model: string;
  protocol: UsbProtocol;
  /** FreeStyle: which record layout the meter writes. */
  family?: FreeStyleFamily;
}

const contour = (productId: number, model: string): UsbModel => ({
  vendorId: 0x1a79,
  productId,
  model,
  protocol: 'contour-usb',
});
const abbott = (productId: number, model: string, family: FreeStyleFamily): UsbModel => ({
  vendorId: 0x1a61,
  productId,
  model,
  protocol: 'freestyle-hid',
  family,
});
const lifescan = (productId: number, model: string): UsbModel => ({
  vendorId: 0x2766,
  productId,
  model,
  protocol: 'verio-scsi',
});

export const USB_MODELS: readonly UsbModel[] = [
  contour(0x6002, 'Contour USB'),
  contour(0x7350, 'Contour Next'),
  contour(0x7410, 'Contour Next USB'),
  contour(0x6200, 'Contour Next Link'),
  contour(0x6300, 'Contour Next Link (mmol/L)'),
  contour(0x6210, 'Contour Next Link 2.4'),
  contour(0x7800, 'Contour Next One'),
  contour(0x7900, 'Contour Next (Ascensia)'),
  abbott(0x3850, 'FreeStyle Precision/Optium Neo', 'neo'),
  abbott(0x3460, 'FreeStyle InsuLinx', 'insulinx'),
  abbott(0x3650, 'FreeStyle Libre (reader)', 'libre'),
  lifescan(0x0000, 'OneTouch Verio (2015)'),
  lifescan(0x1000, 'OneTouch Select Plus'),
  lifescan(0x1004, 'OneTouch Select Plus Flex'),
];

export function findUsbModel(vendorId: number, productId: number): UsbModel | undefined {
  return USB_MODELS.find((m) => m.vendorId === vendorId && m.productId === productId);
}

export const hex4 = (n: number): string => n.toString(16).padStart(4, '0');
