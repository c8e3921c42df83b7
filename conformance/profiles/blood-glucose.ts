// HddtBloodGlucoseMeasurement (§2.1, §2.5): effectiveDateTime only, a UCUM Quantity whose unit is the one its
// LOINC code implies (or dataAbsentReason and no value), LO/HI only as comparator < / >, a device reference.
import { defineChecks } from '../check.ts';
import type { FhirResource } from '../context.ts';
import { LOINC, MIV_CODES, mivOf, UCUM } from '../hddt-terms.ts';
import { codings, reference, rules } from './rule.ts';

const C = defineChecks('bg', {
  effective: {
    section: '2.1',
    level: 'MUST',
    requirement: 'a blood glucose Observation has effectiveDateTime and no other effective[x]',
  },
  value: {
    section: '2.1',
    level: 'MUST',
    requirement:
      'it has valueQuantity with value, system http://unitsofmeasure.org and code, or dataAbsentReason and no value',
  },
  unit: {
    section: '2.5',
    level: 'MUST',
    requirement: 'valueQuantity.code is the unit its LOINC code implies (mass: mg/dL, moles: mmol/L)',
  },
  comparator: { section: '2.1', level: 'MUST', requirement: 'a comparator is only < (LO) or > (HI)' },
  device: { section: '2.1', level: 'MUST', requirement: 'device references a Device or DeviceMetric' },
});

function loincUnit(r: FhirResource): string | undefined {
  for (const c of codings(r.code))
    if (c.system === LOINC && c.code && c.code in MIV_CODES.bloodGlucose)
      return MIV_CODES.bloodGlucose[c.code];
  return undefined;
}

type Q = { value?: unknown; system?: unknown; code?: unknown; comparator?: unknown };

export const BG_CHECKS = C;
export const BG_RULES = rules(
  C,
  (r) => r.resourceType === 'Observation' && mivOf(r as never) === 'bloodGlucose',
  {
    effective: (r) => {
      if (typeof r.effectiveDateTime !== 'string') return 'no effectiveDateTime';
      const other = ['effectivePeriod', 'effectiveInstant', 'effectiveTiming'].filter((k) => k in r);
      return other.length ? `also ${other.join(', ')}` : undefined;
    },
    value: (r) => {
      const q = r.valueQuantity as Q | undefined;
      if (r.dataAbsentReason !== undefined)
        return q?.value !== undefined ? 'dataAbsentReason together with a value' : undefined;
      if (!q) return 'neither valueQuantity nor dataAbsentReason';
      if (typeof q.value !== 'number') return 'valueQuantity.value is missing';
      if (q.system !== UCUM) return `valueQuantity.system is ${JSON.stringify(q.system)}`;
      return typeof q.code === 'string' ? undefined : 'valueQuantity.code is missing';
    },
    unit: (r) => {
      const q = r.valueQuantity as Q | undefined;
      if (!q || q.code === undefined) return undefined;
      const want = loincUnit(r);
      return want && q.code !== want ? `unit ${String(q.code)} for a code that implies ${want}` : undefined;
    },
    comparator: (r) => {
      const c = (r.valueQuantity as Q | undefined)?.comparator;
      return c === undefined || c === '<' || c === '>' ? undefined : `comparator ${JSON.stringify(c)}`;
    },
    device: (r) => {
      const ref = reference(r, 'device');
      return ref && /(^|\/)(Device|DeviceMetric)\/[^/]+$/.test(ref)
        ? undefined
        : `device is ${JSON.stringify(r.device)}`;
    },
  },
);
