// Every resource the DDR returned to patient A's full grant, held against FHIR R4 core and against the HDDT
// profile rules (conformance/profiles/), one check per rule; plus the rules that span resources: granted MIVs
// only, references that resolve, chunk lengths.
import { defineChecks, expect, skip } from '../check.ts';
import type { FhirResource, Group, KitContext, Pairing } from '../context.ts';
import { fhirGet } from '../fhir.ts';
import { mivOf } from '../hddt-terms.ts';
import { r4Errors } from '../r4.ts';
import { BG_RULES } from '../profiles/blood-glucose.ts';
import { CGM_RULES, chunkViolations, isCgm } from '../profiles/cgm.ts';
import { DEVICE_RULES, METRIC_RULES, OBSERVATION_RULES } from '../profiles/devices.ts';
import type { ProfileRule } from '../profiles/rule.ts';

const C = defineChecks('resources', {
  r4: {
    section: '0',
    level: 'MUST',
    requirement: 'every returned resource is valid FHIR R4 (4.0.1) core structure',
  },
  grantedOnly: {
    section: '3.6',
    level: 'MUST',
    requirement: 'every Observation returned has a code of a granted MIV ValueSet',
  },
  references: {
    section: '2.4',
    level: 'MUST',
    requirement:
      'every Observation.device and DeviceMetric.source reference resolves to a resource the DiGA may read',
  },
  chunks: {
    section: '2.2',
    level: 'MUST',
    requirement:
      'the CGM chunks of one device do not overlap and all but final ones have the full chunk length',
  },
});

export const PROFILE_RULES: ProfileRule[] = [
  ...OBSERVATION_RULES,
  ...BG_RULES,
  ...CGM_RULES,
  ...DEVICE_RULES,
  ...METRIC_RULES,
];

function offenders(list: string[]): string {
  return `${list.length} resources: ${list.slice(0, 3).join('; ')}${list.length > 3 ? '; …' : ''}`;
}

async function referenceCheck(ctx: KitContext, p: Pairing, all: FhirResource[]): Promise<void> {
  await ctx.rec.check(C.references, async () => {
    const known = new Set(all.map((r) => `${r.resourceType}/${r.id}`));
    const refs = new Set<string>();
    for (const r of all) {
      const field =
        r.resourceType === 'Observation'
          ? 'device'
          : r.resourceType === 'DeviceMetric'
            ? 'source'
            : undefined;
      const ref = field ? (r[field] as { reference?: string } | undefined)?.reference : undefined;
      if (ref) refs.add(ref.split('/').slice(-2).join('/'));
    }
    if (refs.size === 0) skip('no references');
    const unresolved: string[] = [];
    for (const ref of refs) {
      if (known.has(ref)) continue;
      const res = await fhirGet(ctx, p, ref);
      if (res.status !== 200) unresolved.push(`${ref}: HTTP ${res.status}`);
    }
    expect(unresolved.length === 0, offenders(unresolved));
    return `${refs.size} references`;
  });
}

async function run(ctx: KitContext): Promise<void> {
  const p = ctx.pairing('a1');
  const all = ctx.pool.of('a1');
  if (all.length === 0) {
    ctx.rec.skipAll(
      [...Object.values(C), ...PROFILE_RULES.map((r) => r.spec)],
      'the DDR returned no resources',
    );
    return;
  }
  await ctx.rec.check(C.r4, () => {
    const bad = all.flatMap((r) => {
      const e = r4Errors(r);
      return e.length ? [`${r.resourceType}/${r.id}: ${e.slice(0, 2).join(', ')}`] : [];
    });
    expect(bad.length === 0, offenders(bad));
    return `${all.length} resources`;
  });
  for (const rule of PROFILE_RULES) {
    await ctx.rec.check(rule.spec, () => {
      const subject = all.filter((r) => rule.appliesTo(r));
      if (subject.length === 0) skip('no resource of this kind was returned');
      const bad = subject.flatMap((r) => {
        const v = rule.violation(r);
        return v ? [`${r.resourceType}/${r.id}: ${v}`] : [];
      });
      expect(bad.length === 0, offenders(bad));
      return `${subject.length} resources`;
    });
  }
  await ctx.rec.check(C.grantedOnly, () => {
    const obs = all.filter((r) => r.resourceType === 'Observation');
    if (obs.length === 0) skip('no Observations');
    const bad = obs.filter((o) => {
      const m = mivOf(o as never);
      return !m || !p.mivs.includes(m);
    });
    expect(bad.length === 0, offenders(bad.map((o) => `Observation/${o.id}`)));
  });
  await referenceCheck(ctx, p, all);
  await ctx.rec.check(C.chunks, () => {
    const chunks = all.filter(isCgm);
    if (chunks.length === 0) skip('no CGM chunks');
    const v = chunkViolations(chunks);
    expect(v.length === 0, offenders(v));
    return `${chunks.length} chunks`;
  });
}

export const resourcesGroup: Group = {
  name: 'resources',
  checks: { ...C, ...Object.fromEntries(PROFILE_RULES.map((r) => [r.spec.id, r.spec])) },
  run,
};
