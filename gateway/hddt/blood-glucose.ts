// One HDDT blood glucose Observation per meter reading (hddt-blood-glucose-measurement).
import type { GlucoseUnit, Specimen } from '../readings/reading.ts';
import type { ResourceMeta } from './resource.ts';
import {
  BLOOD_GLUCOSE_LOINC,
  DATA_ABSENT_REASON,
  PROFILE,
  RECORD_IDENTITY_SYSTEM,
  UCUM,
  UNIT_DISPLAY,
  type Coding,
} from './codes.ts';
import { fhirInstant } from './time.ts';

export interface BloodGlucoseInput {
  id: string;
  /** `<device fhir id>/<record identity>`: stable, and says nothing about the patient. */
  recordIdentity: string;
  value: number | null;
  unit: GlucoseUnit;
  flag: 'low' | 'high' | 'error' | null;
  specimen: Specimen;
  effectiveMs: number;
  metricId: string;
}

export function bloodGlucoseCoding(specimen: Specimen, unit: GlucoseUnit): Coding {
  // A meter's interstitial value would be odd; treat anything that is not blood/plasma as capillary.
  const key = specimen === 'blood' || specimen === 'plasma' ? specimen : 'capillary';
  return BLOOD_GLUCOSE_LOINC[key][unit];
}

export function renderBloodGlucose(input: BloodGlucoseInput, meta: ResourceMeta): object {
  const coding = bloodGlucoseCoding(input.specimen, input.unit);
  const hasValue = input.flag !== 'error' && input.value !== null;
  return {
    resourceType: 'Observation',
    id: input.id,
    meta: { ...meta, profile: [PROFILE.bloodGlucose] },
    identifier: [{ system: RECORD_IDENTITY_SYSTEM, value: input.recordIdentity }],
    status: 'final',
    code: { coding: [coding] },
    effectiveDateTime: fhirInstant(input.effectiveMs),
    ...(hasValue
      ? {
          valueQuantity: {
            value: input.value,
            ...(input.flag === 'low'
              ? { comparator: '<' }
              : input.flag === 'high'
                ? { comparator: '>' }
                : {}),
            unit: UNIT_DISPLAY[input.unit],
            system: UCUM,
            code: input.unit,
          },
        }
      : {
          dataAbsentReason: { coding: [{ system: DATA_ABSENT_REASON, code: 'error', display: 'Error' }] },
        }),
    device: { reference: `DeviceMetric/${input.metricId}` },
  };
}
