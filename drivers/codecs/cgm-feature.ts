// CGM Feature (0x2AA8, spec A.3): 24-bit feature field, Type/Sample Location octet, and an E2E-CRC
// field that is 0xFFFF when the sensor does not support E2E-CRC (feature bit 12).
import { CodecError } from './codec-error.ts';
import { crc16Mcrf4xx } from './crc16-mcrf4xx.ts';
import type { CrcStatus } from './crc16-mcrf4xx.ts';
import { LeReader } from './le-reader.ts';
import { LeWriter } from './le-writer.ts';
import { joinTypeLocation, splitTypeLocation } from './sample-type.ts';

export const CGM_FEATURE_BITS = [
  'calibration',
  'patient-high-low-alerts',
  'hypo-alerts',
  'hyper-alerts',
  'rate-of-increase-decrease-alerts',
  'device-specific-alert',
  'sensor-malfunction-detection',
  'sensor-temperature-high-low-detection',
  'sensor-result-high-low-detection',
  'low-battery-detection',
  'sensor-type-error-detection',
  'general-device-fault',
  'e2e-crc',
  'multiple-bond',
  'multiple-sessions',
  'cgm-trend-information',
  'cgm-quality',
] as const;

export type CgmFeatureName = (typeof CGM_FEATURE_BITS)[number];

export const CGM_FEATURE_E2E_CRC = 1 << 12;

export interface CgmFeature {
  /** The 24-bit feature field (reserved bits 17–23 are kept as received). */
  readonly features: number;
  readonly sampleType: number;
  readonly sampleLocation: number;
  /** 'absent' when E2E-CRC is not supported (the field is then 0xFFFF and not checked). */
  readonly crc: CrcStatus;
}

export function cgmFeatureNames(features: number): CgmFeatureName[] {
  return CGM_FEATURE_BITS.filter((_, i) => (features & (1 << i)) !== 0);
}

export function cgmSupportsE2eCrc(f: Pick<CgmFeature, 'features'>): boolean {
  return (f.features & CGM_FEATURE_E2E_CRC) !== 0;
}

export function decodeCgmFeature(bytes: Uint8Array): CgmFeature {
  if (!(bytes instanceof Uint8Array))
    throw new CodecError('ERR_INVALID_ARGUMENT', 'bytes must be a Uint8Array');
  if (bytes.length !== 6) {
    throw new CodecError(
      bytes.length < 6 ? 'ERR_TOO_SHORT' : 'ERR_TOO_LONG',
      `CGM Feature: ${bytes.length} octet(s), expected 6`,
    );
  }
  const r = new LeReader(bytes);
  const features = r.u24('CGM Feature');
  const { sampleType, sampleLocation } = splitTypeLocation(r.u8('Type/Sample Location'));
  const received = r.u16('E2E-CRC');
  const crc: CrcStatus = !(features & CGM_FEATURE_E2E_CRC)
    ? 'absent'
    : received === crc16Mcrf4xx(bytes, 0, 4)
      ? 'ok'
      : 'mismatch';
  return { features, sampleType, sampleLocation, crc };
}

export function encodeCgmFeature(f: Omit<CgmFeature, 'crc'>): Uint8Array {
  const w = new LeWriter();
  w.u24(f.features, 'CGM Feature').u8(
    joinTypeLocation(f.sampleType, f.sampleLocation),
    'Type/Sample Location',
  );
  w.u16(f.features & CGM_FEATURE_E2E_CRC ? crc16Mcrf4xx(w.toBytes()) : 0xffff, 'E2E-CRC');
  return w.toBytes();
}
