// $hddt-cgm-summary (§2.6) with patient A's full grant: Parameters in the POST body, all three parameters
// supported, the result a collection Bundle of HL7 CGM summary Observations (and Devices with related=true), an
// OperationOutcome (never an empty Bundle) when there is no data, MSG_PARAM_INVALID for a bad date.
import { defineChecks, expect, skip } from '../check.ts';
import type { FhirResource, Group, KitContext, Pairing } from '../context.ts';
import { fhirCall, outcomeOf } from '../fhir.ts';
import { LOINC } from '../hddt-terms.ts';
import type { ProbeResponse } from '../http.ts';

const C = defineChecks('cgm-summary', {
  defaultPeriod: {
    section: '2.6',
    level: 'MUST',
    requirement:
      'POST Observation/$hddt-cgm-summary with empty Parameters answers a summary Bundle (or MSG_NO_MATCH without data)',
  },
  bundle: {
    section: '2.6',
    level: 'MUST',
    requirement:
      'the result is a Bundle of type collection whose entries are HL7 CGM summary Observations (107931-8 among them) or Devices',
  },
  period: {
    section: '2.6',
    level: 'MUST',
    requirement: 'effectivePeriodStart and effectivePeriodEnd (7 days) are accepted',
  },
  related: {
    section: '2.6',
    level: 'MUST',
    requirement: 'related=true adds the Devices of the contributing sensors',
  },
  badDate: {
    section: '2.6',
    level: 'MUST',
    requirement: 'an invalid effectivePeriodStart gives 400 with an OperationOutcome coded MSG_PARAM_INVALID',
  },
  noMatch: {
    section: '2.6',
    level: 'MUST',
    requirement: 'a period without data gives an OperationOutcome (e.g. MSG_NO_MATCH), never an empty Bundle',
  },
});

/** HL7 CGM summary codes (§2.6). */
const SUMMARY_CODES = new Set([
  '107931-8',
  '97507-8',
  '105273-7',
  '106793-3',
  '97506-0',
  '104638-2',
  '104636-6',
  '104637-4',
]);

function call(
  ctx: KitContext,
  p: Pairing,
  parameter: Array<Record<string, unknown>>,
): Promise<ProbeResponse> {
  return fhirCall(ctx, 'Observation/$hddt-cgm-summary', {
    token: p.tokens.access_token,
    method: 'POST',
    contentType: 'application/fhir+json',
    body: JSON.stringify({ resourceType: 'Parameters', parameter }),
  });
}

function isNoMatch(res: ProbeResponse): boolean {
  const oo = outcomeOf(res);
  return JSON.stringify(oo ?? '').includes('MSG_NO_MATCH');
}

const codeOf = (r: FhirResource) =>
  ((r.code as { coding?: Array<{ system?: string; code?: string }> })?.coding ?? []).find(
    (c) => c.system === LOINC,
  )?.code;

/** The default call and the shape of its Bundle. */
async function summaryBundle(ctx: KitContext, p: Pairing, hasCgm: boolean): Promise<void> {
  let bundle: FhirResource | undefined;
  await ctx.rec.check(C.defaultPeriod, async () => {
    const res = await call(ctx, p, []);
    if (isNoMatch(res)) {
      expect(!hasCgm, 'MSG_NO_MATCH although patient A has CGM data');
      return 'no data in the default period (MSG_NO_MATCH)';
    }
    expect(res.status === 200, `HTTP ${res.status}`);
    bundle = res.json<FhirResource>();
  });
  const b = bundle;
  await ctx.rec.check(C.bundle, (r) => {
    r.cite(...ctx.rec.lastEvidence);
    if (!b) skip('no summary Bundle');
    expect(
      b.resourceType === 'Bundle' && b.type === 'collection',
      `${b.resourceType} of type ${String(b.type)}`,
    );
    const entries = ((b.entry as Array<{ resource?: FhirResource }>) ?? [])
      .map((e) => e.resource)
      .filter((x) => x !== undefined);
    expect(entries.length > 0, 'no entries');
    const wrong = entries.filter(
      (e) =>
        e.resourceType !== 'Device' &&
        !(e.resourceType === 'Observation' && SUMMARY_CODES.has(codeOf(e) ?? '')),
    );
    expect(
      wrong.length === 0,
      `entries that are not CGM summary members: ${wrong.map((e) => `${e.resourceType} ${codeOf(e) ?? ''}`).join(', ')}`,
    );
    expect(
      entries.some((e) => codeOf(e) === '107931-8'),
      'no cgm-summary (107931-8) Observation',
    );
    return `${entries.length} entries`;
  });
}

/** The three parameters, a bad one, and a period without data. */
async function parameterChecks(ctx: KitContext, p: Pairing, hasCgm: boolean): Promise<void> {
  const end = new Date();
  const start = new Date(end.getTime() - 7 * 86_400_000);
  await ctx.rec.check(C.period, async () => {
    const res = await call(ctx, p, [
      { name: 'effectivePeriodStart', valueDateTime: start.toISOString() },
      { name: 'effectivePeriodEnd', valueDateTime: end.toISOString() },
    ]);
    expect(res.status === 200 || isNoMatch(res), `HTTP ${res.status}`);
  });
  await ctx.rec.check(C.related, async () => {
    if (!hasCgm) skip('patient A has no CGM data');
    const res = await call(ctx, p, [{ name: 'related', valueBoolean: true }]);
    expect(res.status === 200, `HTTP ${res.status}`);
    const entries = (res.json<FhirResource>()?.entry as Array<{ resource?: FhirResource }>) ?? [];
    expect(
      entries.some((e) => e.resource?.resourceType === 'Device'),
      'no Device entry',
    );
  });
  await ctx.rec.check(C.badDate, async () => {
    const res = await call(ctx, p, [{ name: 'effectivePeriodStart', valueDateTime: 'not-a-date' }]);
    expect(res.status === 400, `HTTP ${res.status}`);
    expect(
      JSON.stringify(outcomeOf(res) ?? '').includes('MSG_PARAM_INVALID'),
      'the OperationOutcome is not coded MSG_PARAM_INVALID',
    );
  });
  await ctx.rec.check(C.noMatch, async () => {
    const res = await call(ctx, p, [
      { name: 'effectivePeriodStart', valueDateTime: '1995-01-01T00:00:00Z' },
      { name: 'effectivePeriodEnd', valueDateTime: '1995-01-10T00:00:00Z' },
    ]);
    expect(res.json<FhirResource>()?.resourceType !== 'Bundle', `HTTP ${res.status} with a Bundle`);
    expect(outcomeOf(res), `HTTP ${res.status} without an OperationOutcome`);
    return isNoMatch(res) ? 'MSG_NO_MATCH' : `HTTP ${res.status} with an OperationOutcome`;
  });
}

async function run(ctx: KitContext): Promise<void> {
  const p = ctx.pairing('a1');
  if (!p.mivs.includes('cgm')) {
    ctx.rec.skipAll(Object.values(C), 'the DDR does not offer the CGM MIV');
    return;
  }
  const hasCgm = ctx.inventory('a1').observations.some((o) => o.valueSampledData !== undefined);
  await summaryBundle(ctx, p, hasCgm);
  await parameterChecks(ctx, p, hasCgm);
}

export const cgmSummaryGroup: Group = { name: 'cgm-summary', checks: C, run };
