// SMART scopes of the HDDT glucose MIVs (spec/hddt.md §2.5, §3.6): one Observation scope per MIV
// (the unversioned ValueSet canonical) plus the shared Device and DeviceMetric scopes.
import { MIV_VALUESET } from '../../gateway/hddt/codes.ts';
import type { MivName } from '../../config/types.ts';

export const DEVICE_SCOPE = 'patient/Device.rs';
export const DEVICE_METRIC_SCOPE = 'patient/DeviceMetric.rs';

export const MIV_SCOPE: Record<MivName, string> = {
  bloodGlucose: `patient/Observation.rs?code:in=${MIV_VALUESET.bloodGlucose}`,
  cgm: `patient/Observation.rs?code:in=${MIV_VALUESET.cgm}`,
};

export const MIV_LABEL: Record<MivName, string> = {
  bloodGlucose: 'Blutzuckermessung (Blood Glucose Measurement)',
  cgm: 'Kontinuierliche Glukosemessung (Continuous Glucose Measurement)',
};

export const ALL_MIVS: MivName[] = ['bloodGlucose', 'cgm'];

/** Scopes this recorder offers: the configured MIVs' Observation scopes plus Device and DeviceMetric. */
export function supportedScopes(mivs: readonly MivName[]): string[] {
  return [
    ...ALL_MIVS.filter((m) => mivs.includes(m)).map((m) => MIV_SCOPE[m]),
    DEVICE_SCOPE,
    DEVICE_METRIC_SCOPE,
  ];
}

/** The MIV an Observation scope stands for, or undefined for other scopes. */
export function mivOfScope(scope: string): MivName | undefined {
  return ALL_MIVS.find((m) => MIV_SCOPE[m] === scope);
}

export function mivsOfScopes(scopes: readonly string[]): MivName[] {
  return ALL_MIVS.filter((m) => scopes.includes(MIV_SCOPE[m]));
}

/**
 * Splits a scope parameter (RFC 6749 §3.3: space-delimited, case-sensitive). Returns undefined for
 * anything but single spaces between non-empty tokens of allowed characters.
 */
export function parseScope(value: string): string[] | undefined {
  if (value.length === 0 || value.length > 2048) return undefined;
  const parts = value.split(' ');
  if (parts.some((p) => p.length === 0 || !/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(p))) return undefined;
  return [...new Set(parts)];
}

/** Canonical order for responses and storage. */
export function formatScope(scopes: readonly string[]): string {
  const order = [...ALL_MIVS.map((m) => MIV_SCOPE[m]), DEVICE_SCOPE, DEVICE_METRIC_SCOPE];
  return [...scopes].sort((a, b) => order.indexOf(a) - order.indexOf(b)).join(' ');
}
