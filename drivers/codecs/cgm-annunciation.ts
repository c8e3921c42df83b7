// CGM Sensor Status Annunciation: up to three octets (Status, Cal/Temp, Warning), as a 24-bit field in
// CGM Status and as optional octets in a CGM Measurement record (spec A.2). Reserved bits are kept in
// the octet values and simply have no name (RFU bits are ignored on receipt).

export interface CgmAnnunciation {
  /** Status octet (bits 0–7 of the 24-bit field): session stopped, battery low, … */
  readonly status?: number;
  /** Cal/Temp octet (bits 8–15): time sync required, calibration …, temperature … */
  readonly calTemp?: number;
  /** Warning octet (bits 16–23): patient low/high, hypo/hyper, rate, device range */
  readonly warning?: number;
}

export const CGM_STATUS_BITS = [
  'session-stopped',
  'device-battery-low',
  'sensor-type-incorrect',
  'sensor-malfunction',
  'device-specific-alert',
  'general-device-fault',
] as const;

export const CGM_CAL_TEMP_BITS = [
  'time-synchronization-required',
  'calibration-not-allowed',
  'calibration-recommended',
  'calibration-required',
  'sensor-temperature-too-high',
  'sensor-temperature-too-low',
] as const;

export const CGM_WARNING_BITS = [
  'result-below-patient-low',
  'result-above-patient-high',
  'result-below-hypo',
  'result-above-hyper',
  'rate-of-decrease-exceeded',
  'rate-of-increase-exceeded',
  'result-below-device-range',
  'result-above-device-range',
] as const;

export type CgmAnnunciationFlag =
  (typeof CGM_STATUS_BITS)[number] | (typeof CGM_CAL_TEMP_BITS)[number] | (typeof CGM_WARNING_BITS)[number];

function names<T extends string>(octet: number | undefined, bits: readonly T[]): T[] {
  if (octet === undefined) return [];
  return bits.filter((_, i) => (octet & (1 << i)) !== 0);
}

/** The named conditions set in the present octets, Status first, then Cal/Temp, then Warning. */
export function cgmAnnunciationFlags(a: CgmAnnunciation): CgmAnnunciationFlag[] {
  return [
    ...names(a.status, CGM_STATUS_BITS),
    ...names(a.calTemp, CGM_CAL_TEMP_BITS),
    ...names(a.warning, CGM_WARNING_BITS),
  ];
}
