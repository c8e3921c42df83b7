// The resource server's error table (§1.4): the defined status for each situation with an OperationOutcome
// saying why, and no 403 anywhere on the resource server (since 1.0.0-rc: 401 or 404).
import { randomBytes } from 'node:crypto';
import { defineChecks, expect, skip } from '../check.ts';
import type { Group, KitContext } from '../context.ts';
import { fhirCall, outcomeOf } from '../fhir.ts';
import type { ProbeResponse } from '../http.ts';

const C = defineChecks('errors', {
  unknownParameter: {
    section: '1.4',
    level: 'MUST',
    requirement: 'an unknown search parameter gives 400 with an OperationOutcome (error, processing)',
  },
  malformedDate: {
    section: '1.4',
    level: 'MUST',
    requirement: 'a malformed date gives 400 with an OperationOutcome',
  },
  unknownResource: {
    section: '1.4',
    level: 'MUST',
    requirement: 'a read of an unknown id gives 404 with an OperationOutcome',
  },
  unknownVersion: {
    section: '1.4',
    level: 'MUST',
    requirement: 'a vread of an unknown version gives 404 with an OperationOutcome',
  },
  outcomeReason: {
    section: '1.4',
    level: 'SHOULD',
    requirement: 'error OperationOutcomes say why in issue.details or issue.diagnostics',
  },
});

const F = defineChecks('errors', {
  no403: {
    section: '1.4',
    level: 'MUST',
    requirement:
      'the resource server never answers 403 in the whole run (authorization failures are 401 or 404)',
  },
});

function expectOutcome(res: ProbeResponse, status: number): string {
  expect(res.status === status, `HTTP ${res.status || res.error}, not ${status}`);
  const oo = outcomeOf(res);
  expect(oo, 'no OperationOutcome in the body');
  expect(
    oo.issue.some((i) => i.severity === 'error' || i.severity === 'fatal'),
    'no issue of severity error',
  );
  return `HTTP ${status} ${String(oo.issue[0]?.code)}`;
}

async function run(ctx: KitContext): Promise<void> {
  const p = ctx.pairing('a1');
  const token = p.tokens.access_token;
  const errors: ProbeResponse[] = [];
  const probe = async (path: string, status: number) => {
    const res = await fhirCall(ctx, path, { token });
    errors.push(res);
    return expectOutcome(res, status);
  };
  await ctx.rec.check(C.unknownParameter, () => probe('Observation?kit-unknown-parameter=1', 400));
  await ctx.rec.check(C.malformedDate, () => probe('Observation?date=not-a-date', 400));
  await ctx.rec.check(C.unknownResource, () =>
    probe(`Observation/kit-${randomBytes(12).toString('hex')}`, 404),
  );
  await ctx.rec.check(C.unknownVersion, async () => {
    const d = ctx.inventory('a1').devices.find((x) => x.meta?.versionId) ?? ctx.inventory('a1').metrics[0];
    if (!d) skip('no Device or DeviceMetric to vread');
    return probe(`${d.resourceType}/${d.id}/_history/9999999`, 404);
  });
  await ctx.rec.check(C.outcomeReason, (r) => {
    r.cite(...errors.map((e) => e.exchange));
    for (const res of errors) {
      const issue = outcomeOf(res)?.issue[0];
      if (!issue) continue;
      const details = issue.details as { text?: string; coding?: unknown[] } | undefined;
      const why =
        (typeof issue.diagnostics === 'string' && issue.diagnostics) ||
        details?.text ||
        details?.coding?.length;
      expect(why, `HTTP ${res.status}: the OperationOutcome gives no reason`);
    }
  });
}

/** Last of all groups: was any FHIR answer of the whole run a 403? */
async function no403(ctx: KitContext): Promise<void> {
  await ctx.rec.check(F.no403, (r) => {
    const fhir = ctx.rec.all.filter((e) => e.request.url.startsWith(ctx.opts.fhirBase));
    const forbidden = fhir.filter((e) => e.response?.status === 403);
    r.cite(...forbidden.slice(0, 3));
    expect(forbidden.length === 0, `${forbidden.length} answers with 403`);
    return `${fhir.length} FHIR answers, none 403`;
  });
}

export const errorsGroup: Group = { name: 'errors', checks: C, run };
export const no403Group: Group = { name: 'no-403', checks: F, run: no403 };
