// Glucose Feature (0x2A51, spec B.4): a uint16 bit field. Bit positions follow Nordic's
// GlucoseFeatureCallback naming (unverified against the SIG text, spec open question 3).
import { CodecError } from './codec-error.ts';
import { LeReader } from './le-reader.ts';
import { LeWriter } from './le-writer.ts';

export const GLUCOSE_FEATURE_BITS = [
  'low-battery-detection',
  'sensor-malfunction-detection',
  'sample-size',
  'strip-insertion-error-detection',
  'strip-type-error-detection',
  'result-high-low-detection',
  'temperature-high-low-detection',
  'read-interrupt-detection',
  'general-device-fault',
  'time-fault',
  'multiple-bond',
] as const;
export type GlucoseFeatureName = (typeof GLUCOSE_FEATURE_BITS)[number];

export interface GlucoseFeature {
  /** The raw bit field (reserved bits 11–15 kept as received). */
  readonly features: number;
}

export function glucoseFeatureNames(features: number): GlucoseFeatureName[] {
  return GLUCOSE_FEATURE_BITS.filter((_, i) => (features & (1 << i)) !== 0);
}

export function decodeGlucoseFeature(bytes: Uint8Array): GlucoseFeature {
  if (!(bytes instanceof Uint8Array))
    throw new CodecError('ERR_INVALID_ARGUMENT', 'bytes must be a Uint8Array');
  const r = new LeReader(bytes);
  const features = r.u16('Glucose Feature');
  r.expectEnd('Glucose Feature');
  return { features };
}

export function encodeGlucoseFeature(f: GlucoseFeature): Uint8Array {
  return new LeWriter().u16(f.features, 'Glucose Feature').toBytes();
}
