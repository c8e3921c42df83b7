// The HDDT facts the checks hold a DDR to, written down from ../shared/spec/hddt.md (§2.1–§2.5, §3.6), not
// taken from this gateway's own tables: a kit that borrowed the server's code lists would only check the server
// against itself.

export const LOINC = 'http://loinc.org';
export const UCUM = 'http://unitsofmeasure.org';
export const SNOMED = 'http://snomed.info/sct';
export const DATA_ABSENT_REASON = 'http://terminology.hl7.org/CodeSystem/data-absent-reason';
export const HDDT_CANONICAL = 'https://gematik.de/fhir/hddt';

export type MivId = 'bloodGlucose' | 'cgm';

/** §2.5: the LOINC codes of each MIV ValueSet and the UCUM unit each code implies. */
export const MIV_CODES: Record<MivId, Record<string, 'mg/dL' | 'mmol/L'>> = {
  bloodGlucose: {
    '2339-0': 'mg/dL',
    '15074-8': 'mmol/L',
    '2345-7': 'mg/dL',
    '14749-6': 'mmol/L',
    '41653-7': 'mg/dL',
    '14743-9': 'mmol/L',
  },
  cgm: { '99504-3': 'mg/dL', '105272-9': 'mmol/L' },
};

export const MIV_VALUESET: Record<MivId, string> = {
  bloodGlucose: `${HDDT_CANONICAL}/ValueSet/hddt-miv-blood-glucose-measurement`,
  cgm: `${HDDT_CANONICAL}/ValueSet/hddt-miv-continuous-glucose-measurement`,
};

/** §2.5 / §3.6: one Observation scope per MIV plus the two device scopes. */
export const MIV_SCOPE: Record<MivId, string> = {
  bloodGlucose: `patient/Observation.rs?code:in=${MIV_VALUESET.bloodGlucose}`,
  cgm: `patient/Observation.rs?code:in=${MIV_VALUESET.cgm}`,
};
export const DEVICE_SCOPES = ['patient/Device.rs', 'patient/DeviceMetric.rs'];

export const PROFILE = {
  bloodGlucose: `${HDDT_CANONICAL}/StructureDefinition/hddt-blood-glucose-measurement`,
  cgm: `${HDDT_CANONICAL}/StructureDefinition/hddt-continuous-glucose-measurement`,
  device: `${HDDT_CANONICAL}/StructureDefinition/hddt-personal-health-device`,
  deviceMetric: `${HDDT_CANONICAL}/StructureDefinition/hddt-sensor-type-and-calibration-status`,
  cgmSummary: `${HDDT_CANONICAL}/StructureDefinition/hddt-cgm-summary`,
};

export const CGM_SUMMARY_OPERATION = `${HDDT_CANONICAL}/OperationDefinition/hddt-cgm-summary-operation`;

/** §2.3: ValueSet hddt-device-type (SNOMED CT German edition). */
export const DEVICE_TYPES = new Set([
  '337414009',
  '700585005',
  '701815004',
  '702203005',
  '463729000',
  '701750003',
  '70665002',
  '334990001',
  '303501006',
]);

/** §2.4: the IEEE 11073 MDC codes the pages use for DeviceMetric.type. */
export const MDC = 'urn:iso:std:iso:11073:10101';
export const METRIC_TYPES = new Set(['160184', '160212']);

export function mivOfCode(code: string): MivId | undefined {
  return (Object.keys(MIV_CODES) as MivId[]).find((m) => code in MIV_CODES[m]);
}

/** The MIV an Observation belongs to by its LOINC coding, if any. */
export function mivOf(obs: {
  code?: { coding?: Array<{ system?: string; code?: string }> };
}): MivId | undefined {
  for (const c of obs.code?.coding ?? []) {
    if (c.system === LOINC && c.code) {
      const m = mivOfCode(c.code);
      if (m) return m;
    }
  }
  return undefined;
}

/** The MIVs a scope string grants (by its Observation scopes). */
export function mivsOfScope(scope: string): MivId[] {
  const parts = scope.split(' ');
  return (Object.keys(MIV_SCOPE) as MivId[]).filter((m) => parts.includes(MIV_SCOPE[m]));
}

export function scopeFor(mivs: readonly MivId[]): string {
  return [...mivs.map((m) => MIV_SCOPE[m]), ...DEVICE_SCOPES].join(' ');
}
