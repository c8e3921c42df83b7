// A profile rule: a check that holds for each resource of one kind (an HDDT profile or all Observations). It
// names what is wrong with a resource, or nothing; the resources group runs every rule over every resource a
// pairing was shown and fails the rule's check listing the first offenders.
import type { CheckSpec } from '../check.ts';
import type { FhirResource } from '../context.ts';

export interface ProfileRule {
  spec: CheckSpec;
  /** Which resources the rule is about. */
  appliesTo(r: FhirResource): boolean;
  /** What is wrong with `r`, or undefined. */
  violation(r: FhirResource): string | undefined;
}

export type Coding = { system?: string; code?: string; display?: string };

export function codings(cc: unknown): Coding[] {
  return ((cc as { coding?: Coding[] } | undefined)?.coding ?? []).filter((c) => c && typeof c === 'object');
}

export function reference(r: FhirResource, field: string): string | undefined {
  const ref = (r[field] as { reference?: unknown } | undefined)?.reference;
  return typeof ref === 'string' ? ref : undefined;
}

/** Rules from specs and tests keyed alike. */
export function rules(
  specs: Record<string, CheckSpec>,
  appliesTo: (r: FhirResource) => boolean,
  tests: Record<string, (r: FhirResource) => string | undefined>,
): ProfileRule[] {
  return Object.entries(tests).map(([k, violation]) => {
    const spec = specs[k];
    if (!spec) throw new Error(`rule ${k} has no check`);
    return { spec, appliesTo, violation };
  });
}
