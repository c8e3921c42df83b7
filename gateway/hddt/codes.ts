// Terminology used by the HDDT glucose profiles (spec/hddt.md §2.3–2.5).
import type { GlucoseUnit, Specimen } from '../readings/reading.ts';

export const LOINC = 'http://loinc.org';
export const SNOMED = 'http://snomed.info/sct';
export const SNOMED_DE_VERSION = 'http://snomed.info/sct/11000274103/version/20251115';
export const UCUM = 'http://unitsofmeasure.org';
export const MDC = 'urn:iso:std:iso:11073:10101';
export const DATA_ABSENT_REASON = 'http://terminology.hl7.org/CodeSystem/data-absent-reason';
export const HDDT = 'https://gematik.de/fhir/hddt';
/** System of Observation.identifier: the stable per-record identity of the reading behind it. */
export const RECORD_IDENTITY_SYSTEM = 'urn:hddt-gateway:record-identity';

export const PROFILE = {
  bloodGlucose: `${HDDT}/StructureDefinition/hddt-blood-glucose-measurement`,
  cgm: `${HDDT}/StructureDefinition/hddt-continuous-glucose-measurement`,
  device: `${HDDT}/StructureDefinition/hddt-personal-health-device`,
  deviceMetric: `${HDDT}/StructureDefinition/hddt-sensor-type-and-calibration-status`,
} as const;

export const MIV_VALUESET = {
  bloodGlucose: `${HDDT}/ValueSet/hddt-miv-blood-glucose-measurement`,
  cgm: `${HDDT}/ValueSet/hddt-miv-continuous-glucose-measurement`,
} as const;

export interface Coding {
  system: string;
  code: string;
  display: string;
  version?: string;
}

const loinc = (code: string, display: string): Coding => ({ system: LOINC, code, display });

/** LOINC code of a blood glucose Observation, by specimen and unit. */
export const BLOOD_GLUCOSE_LOINC: Record<Exclude<Specimen, 'isf'>, Record<GlucoseUnit, Coding>> = {
  blood: {
    'mg/dL': loinc('2339-0', 'Glucose [Mass/volume] in Blood'),
    'mmol/L': loinc('15074-8', 'Glucose [Moles/volume] in Blood'),
  },
  plasma: {
    'mg/dL': loinc('2345-7', 'Glucose [Mass/volume] in Serum or Plasma'),
    'mmol/L': loinc('14749-6', 'Glucose [Moles/volume] in Serum or Plasma'),
  },
  capillary: {
    'mg/dL': loinc('41653-7', 'Glucose [Mass/volume] in Capillary blood by Glucometer'),
    'mmol/L': loinc('14743-9', 'Glucose [Moles/volume] in Capillary blood by Glucometer'),
  },
};

export const CGM_LOINC: Record<GlucoseUnit, Coding> = {
  'mg/dL': loinc('99504-3', 'Glucose [Mass/volume] in Interstitial fluid'),
  'mmol/L': loinc('105272-9', 'Glucose [Moles/volume] in Interstitial fluid'),
};

/** Every code of each MIV ValueSet (what a granted scope lets a DiGA see). */
export const MIV_CODES = {
  bloodGlucose: Object.values(BLOOD_GLUCOSE_LOINC).flatMap((byUnit) =>
    Object.values(byUnit).map((c) => c.code),
  ),
  cgm: Object.values(CGM_LOINC).map((c) => c.code),
} as const;

/** UCUM code → the display the HDDT examples use. */
export const UNIT_DISPLAY: Record<GlucoseUnit, string> = { 'mg/dL': 'mg/dl', 'mmol/L': 'mmol/l' };

export const DEVICE_TYPE = {
  cgm: {
    system: SNOMED,
    version: SNOMED_DE_VERSION,
    code: '700585005',
    display: 'Invasive interstitial-fluid glucose monitoring system (physical object)',
  },
  bgm: {
    system: SNOMED,
    version: SNOMED_DE_VERSION,
    code: '337414009',
    display: 'Blood glucose meter (physical object)',
  },
} as const satisfies Record<string, Coding>;

export const METRIC_TYPE = {
  cgm: { system: MDC, code: '160212', display: 'MDC_CONC_GLU_ISF' },
  bgm: { system: MDC, code: '160184', display: 'MDC_CONC_GLU_CAPILLARY_WHOLEBLOOD' },
} as const satisfies Record<string, Coding>;

/** mg/dL per mmol/L for glucose (molar mass 180.156 g/mol). */
export const MGDL_PER_MMOLL = 18.0156;

export function convertGlucose(value: number, from: GlucoseUnit, to: GlucoseUnit): number {
  if (from === to) return value;
  return from === 'mmol/L'
    ? Math.round(value * MGDL_PER_MMOLL)
    : Math.round((value / MGDL_PER_MMOLL) * 10) / 10;
}
