// HddtPersonalHealthDevice (§2.3), HddtSensorTypeAndCalibrationStatus (§2.4) and what holds for every
// Observation: codes of a granted MIV only (§3.6), no identifying subject (§4.3).
import { defineChecks } from '../check.ts';
import { DEVICE_TYPES, MDC, METRIC_TYPES, SNOMED, UCUM } from '../hddt-terms.ts';
import { codings, reference, rules } from './rule.ts';

const D = defineChecks('device', {
  type: {
    section: '2.3',
    level: 'MUST',
    requirement: 'Device.type is coded from ValueSet hddt-device-type (SNOMED CT)',
  },
  status: {
    section: '2.3',
    level: 'SHOULD',
    requirement: 'Device.status is given (active, inactive or unknown)',
  },
  deviceName: { section: '2.3', level: 'SHOULD', requirement: 'Device.deviceName is given' },
  serialNumber: { section: '2.3', level: 'SHOULD', requirement: 'Device.serialNumber is given' },
  patient: {
    section: '4.3',
    level: 'MUST',
    requirement: 'Device.patient, if given, is a bare pseudonymous reference (no display, no identifier)',
  },
  definition: {
    section: '2.3',
    level: 'MUST',
    requirement: 'Device.definition, if given, references the HIIS-VZ DeviceDefinition (hiis.bfarm.de)',
  },
});

const M = defineChecks('device-metric', {
  source: { section: '2.4', level: 'MUST', requirement: 'DeviceMetric.source references a Device' },
  unit: {
    section: '2.4',
    level: 'MUST',
    requirement: 'DeviceMetric.unit, if given, is coded in UCUM (mg/dL or mmol/L)',
  },
  type: {
    section: '2.4',
    level: 'SHOULD',
    requirement:
      'DeviceMetric.type uses the IEEE 11073 MDC glucose codes (160184 capillary blood, 160212 ISF)',
  },
  calibration: { section: '2.4', level: 'MUST', requirement: 'each DeviceMetric.calibration has a state' },
});

const O = defineChecks('observation', {
  noSubject: { section: '4.3', level: 'SHOULD', requirement: 'Observations carry no subject' },
  subjectPseudonymous: {
    section: '4.3',
    level: 'MUST',
    requirement: 'a subject, if given, is a bare pseudonymous reference (no display, no identifier)',
  },
  profile: {
    section: '1.1',
    level: 'SHOULD',
    requirement: 'meta.profile, if given, names the HDDT profile of the MIV',
  },
});

const bare = (ref: unknown): string | undefined => {
  if (!ref || typeof ref !== 'object') return undefined;
  const r = ref as Record<string, unknown>;
  if (r.display !== undefined) return 'has a display';
  if (r.identifier !== undefined) return 'has an identifier';
  return undefined;
};

export const DEVICE_CHECKS = D;
export const DEVICE_RULES = rules(D, (r) => r.resourceType === 'Device', {
  type: (r) =>
    codings(r.type).some((c) => c.system === SNOMED && DEVICE_TYPES.has(c.code ?? ''))
      ? undefined
      : `type ${JSON.stringify(r.type)}`,
  status: (r) =>
    ['active', 'inactive', 'unknown'].includes(String(r.status))
      ? undefined
      : `status ${JSON.stringify(r.status)}`,
  deviceName: (r) => (Array.isArray(r.deviceName) && r.deviceName.length > 0 ? undefined : 'no deviceName'),
  serialNumber: (r) =>
    typeof r.serialNumber === 'string' && r.serialNumber !== '' ? undefined : 'no serialNumber',
  patient: (r) => {
    const why = bare(r.patient);
    return why ? `patient ${why}` : undefined;
  },
  definition: (r) => {
    const ref = reference(r, 'definition');
    if (r.definition === undefined) return undefined;
    return ref?.includes('hiis.bfarm.de') ? undefined : `definition ${JSON.stringify(r.definition)}`;
  },
});

export const METRIC_CHECKS = M;
export const METRIC_RULES = rules(M, (r) => r.resourceType === 'DeviceMetric', {
  source: (r) =>
    /(^|\/)Device\/[^/]+$/.test(reference(r, 'source') ?? '')
      ? undefined
      : `source ${JSON.stringify(r.source)}`,
  unit: (r) => {
    if (r.unit === undefined) return undefined;
    return codings(r.unit).some((c) => c.system === UCUM && (c.code === 'mg/dL' || c.code === 'mmol/L'))
      ? undefined
      : `unit ${JSON.stringify(r.unit)}`;
  },
  type: (r) =>
    codings(r.type).some((c) => c.system === MDC && METRIC_TYPES.has(c.code ?? ''))
      ? undefined
      : `type ${JSON.stringify(r.type)}`,
  calibration: (r) => {
    const cal = Array.isArray(r.calibration) ? (r.calibration as Array<{ state?: unknown }>) : [];
    return cal.some((c) => typeof c.state !== 'string') ? 'a calibration without state' : undefined;
  },
});

export const OBSERVATION_CHECKS = O;
export const OBSERVATION_RULES = rules(O, (r) => r.resourceType === 'Observation', {
  noSubject: (r) => (r.subject === undefined ? undefined : 'subject given'),
  subjectPseudonymous: (r) => {
    const why = bare(r.subject);
    return why ? `subject ${why}` : undefined;
  },
  profile: (r) => {
    const profiles = r.meta?.profile;
    if (!profiles) return undefined;
    return profiles.some((p) => p.startsWith('https://gematik.de/fhir/hddt/StructureDefinition/hddt-'))
      ? undefined
      : `meta.profile ${profiles.join(', ')}`;
  },
});
