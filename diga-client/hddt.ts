// What a DiGA knows from the HDDT specification (spec/hddt.md §2.5, §3.6): the MIV ValueSets and their
// LOINC codes, and the SMART scopes it asks for. Kept here on purpose: a DiGA does not import the gateway.
export type Miv = 'bloodGlucose' | 'cgm';

export const ALL_MIVS: readonly Miv[] = ['bloodGlucose', 'cgm'];

const VALUESET = 'https://gematik.de/fhir/hddt/ValueSet';

export const MIV_VALUESET: Record<Miv, string> = {
  bloodGlucose: `${VALUESET}/hddt-miv-blood-glucose-measurement`,
  cgm: `${VALUESET}/hddt-miv-continuous-glucose-measurement`,
};

export const LOINC = 'http://loinc.org';

export const MIV_LOINC: Record<Miv, readonly string[]> = {
  bloodGlucose: ['2339-0', '15074-8', '2345-7', '14749-6', '41653-7', '14743-9'],
  cgm: ['99504-3', '105272-9'],
};

export const DEVICE_SCOPE = 'patient/Device.rs';
export const DEVICE_METRIC_SCOPE = 'patient/DeviceMetric.rs';

export function mivScope(miv: Miv): string {
  return `patient/Observation.rs?code:in=${MIV_VALUESET[miv]}`;
}

/** The scope parameter for a pairing: one Observation scope per MIV plus the device scopes. */
export function scopeFor(mivs: readonly Miv[]): string {
  return [...ALL_MIVS.filter((m) => mivs.includes(m)).map(mivScope), DEVICE_SCOPE, DEVICE_METRIC_SCOPE].join(
    ' ',
  );
}

/** The MIVs a granted scope string covers. */
export function mivsOfScope(scope: string): Miv[] {
  const parts = scope.split(' ');
  return ALL_MIVS.filter((m) => parts.includes(mivScope(m)));
}

export function parseMivs(list: string): Miv[] {
  const out: Miv[] = [];
  for (const raw of list.split(',')) {
    const m = raw.trim();
    if (m === '') continue;
    if (!(ALL_MIVS as readonly string[]).includes(m)) {
      throw new RangeError(`unknown MIV '${m}' (expected ${ALL_MIVS.join(' or ')})`);
    }
    if (!out.includes(m as Miv)) out.push(m as Miv);
  }
  if (out.length === 0) throw new RangeError('at least one MIV is needed');
  return out;
}

/** The `code` search value for an MIV: every LOINC code of its ValueSet, with the system. */
export function codeParam(miv: Miv): string {
  return MIV_LOINC[miv].map((c) => `${LOINC}|${c}`).join(',');
}

/** Which MIV an Observation belongs to, by its LOINC code. */
export function mivOfObservation(resource: {
  code?: { coding?: Array<{ code?: string }> };
}): Miv | undefined {
  const codes = (resource.code?.coding ?? []).map((c) => c.code);
  return ALL_MIVS.find((m) => MIV_LOINC[m].some((c) => codes.includes(c)));
}
