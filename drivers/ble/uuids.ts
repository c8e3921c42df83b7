// GATT UUIDs in noble's spelling (16-bit, lower-case hex, no padding or dashes).
export const SERVICE = {
  cgm: '181f',
  glucose: '1808',
  deviceInformation: '180a',
  currentTime: '1805',
  /** i-SENS (CareSens) vendor service, and its v1.5 128-bit successor (Tidepool bluetoothLEDriver.js) */
  isensVendor: 'fff0',
  isensVendorV15: 'c4dea0105a9d11e98647d663bd873d93',
} as const;

export const CHAR = {
  cgmMeasurement: '2aa7',
  cgmFeature: '2aa8',
  cgmStatus: '2aa9',
  cgmSessionStartTime: '2aaa',
  cgmSessionRunTime: '2aab',
  cgmSocp: '2aac',
  racp: '2a52',
  glucoseMeasurement: '2a18',
  glucoseContext: '2a34',
  glucoseFeature: '2a51',
  manufacturerName: '2a29',
  modelNumber: '2a24',
  serialNumber: '2a25',
  currentTime: '2a2b',
  dateTime: '2a08',
  isensTime: 'fff1',
  isensTimeV15: 'c4dea3bc5a9d11e98647d663bd873d93',
} as const;

/** Lower-case colon form, the spelling used in device keys and the allow-list. */
export function normalizeAddress(address: string): string {
  return address.trim().toLowerCase();
}
