// Type (low nibble) / Sample Location (high nibble) octet shared by CGM Feature, SOCP calibration
// records and Glucose Measurement (spec A.3). Unknown codes are kept as numbers; names are a lookup.
import { checkInt } from './le-writer.ts';

const TYPE_NAMES: Record<number, string> = {
  1: 'capillary-whole-blood',
  2: 'capillary-plasma',
  3: 'venous-whole-blood',
  4: 'venous-plasma',
  5: 'arterial-whole-blood',
  6: 'arterial-plasma',
  7: 'undetermined-whole-blood',
  8: 'undetermined-plasma',
  9: 'interstitial-fluid',
  10: 'control-solution',
};

const LOCATION_NAMES: Record<number, string> = {
  1: 'finger',
  2: 'alternate-site-test',
  3: 'earlobe',
  4: 'control-solution',
  5: 'subcutaneous-tissue',
  15: 'not-available',
};

/** Name of a sample type code, or `reserved` for codes the specification does not define. */
export function sampleTypeName(code: number): string {
  return TYPE_NAMES[code] ?? 'reserved';
}

/** Name of a sample location code, or `reserved` for codes the specification does not define. */
export function sampleLocationName(code: number): string {
  return LOCATION_NAMES[code] ?? 'reserved';
}

export function splitTypeLocation(octet: number): { sampleType: number; sampleLocation: number } {
  return { sampleType: octet & 0x0f, sampleLocation: octet >>> 4 };
}

export function joinTypeLocation(sampleType: number, sampleLocation: number): number {
  checkInt(sampleType, 0, 15, 'sample type');
  checkInt(sampleLocation, 0, 15, 'sample location');
  return (sampleLocation << 4) | sampleType;
}
