// The CapabilityStatement (§1.1, §1.5): public, FHIR 4.0.1, the three resource types with the HDDT profiles,
// interactions and search parameters, the CGM operation, JSON and XML; no Patient endpoint and no writes.
import { defineChecks, expect, fail, type CheckSpec, type Exchange } from '../check.ts';
import { GroupStopped, type FhirResource, type Group, type KitContext } from '../context.ts';
import { CGM_SUMMARY_OPERATION, PROFILE, type MivId } from '../hddt-terms.ts';

const C = defineChecks('capability', {
  public: {
    section: '1.1',
    level: 'MUST',
    requirement: 'GET [base]/metadata answers a CapabilityStatement without access token',
  },
  fhirVersion: { section: '1.1', level: 'MUST', requirement: 'CapabilityStatement.fhirVersion is 4.0.1' },
  structure: {
    section: '1.5',
    level: 'SHOULD',
    requirement:
      'a proper R4 CapabilityStatement: kind instance, rest[0].mode server, resources under rest[0].resource',
  },
  resources: {
    section: '1.1',
    level: 'MUST',
    requirement:
      'Observation, Device and DeviceMetric are declared with the read and search-type interactions',
  },
  profiles: {
    section: '1.1',
    level: 'MUST',
    requirement:
      'the supported profiles of the offered MIVs are declared (Observation, Device, DeviceMetric)',
  },
  searchParams: {
    section: '1.2',
    level: 'MUST',
    requirement:
      'the HDDT search parameters are published: Observation code, date (+ value-quantity for BG, _lastUpdated for CGM), Device device-name, type, manufacturer',
  },
  operation: {
    section: '1.1',
    level: 'MUST',
    requirement:
      'with the CGM MIV, Observation declares the hddt-cgm-summary operation with its canonical definition',
  },
  formats: { section: '1.4', level: 'MUST', requirement: 'format lists JSON and XML' },
  noPatient: {
    section: '1.1',
    level: 'MUST',
    requirement: 'no Patient endpoint: not declared, and GET [base]/Patient gives no Patient data',
  },
  noWrites: {
    section: '1.1',
    level: 'MUST',
    requirement:
      'only read and search: no create/update/delete declared, and a POST [base]/Observation is refused',
  },
});

interface CsResource {
  type?: string;
  supportedProfile?: string[];
  interaction?: Array<{ code?: string }>;
  searchParam?: Array<{ name?: string }>;
  operation?: Array<{ name?: string; definition?: string }>;
}

function resourcesOf(cs: FhirResource): CsResource[] {
  const rest = (cs.rest as Array<{ resource?: CsResource[] }> | undefined)?.[0];
  return rest?.resource ?? [];
}

/** What the later checks look at: the statement, the exchange that fetched it, its resources by type. */
interface View {
  statement: FhirResource;
  exchange: Exchange[];
  resources: CsResource[];
  byType(t: string): CsResource | undefined;
  mivs: MivId[];
  cited(spec: CheckSpec, fn: () => string | void | Promise<string | void>): Promise<unknown>;
}

/** GET metadata without a client certificate; the CapabilityStatement, or the group stops. */
async function fetchStatement(ctx: KitContext): Promise<FhirResource> {
  let cs: FhirResource | undefined;
  await ctx.rec.check(C.public, async () => {
    const res = await ctx.probe.send({
      url: ctx.fhirUrl('metadata'),
      as: 'none',
      headers: { accept: 'application/fhir+json' },
    });
    if (res.status !== 200) {
      // some DDRs require the client certificate at TLS level even for metadata: try with it to go on
      const again = await ctx.probe.send({
        url: ctx.fhirUrl('metadata'),
        headers: { accept: 'application/fhir+json' },
      });
      cs = again.status === 200 ? again.json<FhirResource>() : undefined;
      fail(`without a client certificate: HTTP ${res.status || res.error}`);
    }
    cs = res.json<FhirResource>();
    expect(cs?.resourceType === 'CapabilityStatement', `not a CapabilityStatement: ${cs?.resourceType}`);
  });
  if (!cs || cs.resourceType !== 'CapabilityStatement') throw new GroupStopped('no CapabilityStatement');
  return cs;
}

/** Version, structure, resource types and profiles. */
async function declared(v: View): Promise<void> {
  await v.cited(C.fhirVersion, () =>
    expect(v.statement.fhirVersion === '4.0.1', `fhirVersion is ${JSON.stringify(v.statement.fhirVersion)}`),
  );
  await v.cited(C.structure, () => {
    expect(v.statement.kind === 'instance', `kind is ${JSON.stringify(v.statement.kind)}`);
    const rest = (v.statement.rest as Array<{ mode?: string }> | undefined)?.[0];
    expect(rest?.mode === 'server', `rest[0].mode is ${JSON.stringify(rest?.mode)}`);
    expect(v.resources.length > 0, 'rest[0].resource is empty');
  });
  await v.cited(C.resources, () => {
    for (const t of ['Observation', 'Device', 'DeviceMetric']) {
      const r = v.byType(t);
      if (!r) fail(`${t} is not declared`);
      const codes = (r.interaction ?? []).map((i) => i.code);
      expect(
        codes.includes('read') && codes.includes('search-type'),
        `${t} interactions: ${codes.join(', ')}`,
      );
    }
  });
  await v.cited(C.profiles, () => {
    const want: Array<[string, string]> = [
      ...(v.mivs.includes('bloodGlucose')
        ? ([['Observation', PROFILE.bloodGlucose]] as Array<[string, string]>)
        : []),
      ...(v.mivs.includes('cgm') ? ([['Observation', PROFILE.cgm]] as Array<[string, string]>) : []),
      ['Device', PROFILE.device],
      ['DeviceMetric', PROFILE.deviceMetric],
    ];
    const missing = want.filter(
      ([t, p]) => !(v.byType(t)?.supportedProfile ?? []).some((x) => x.split('|')[0] === p),
    );
    expect(missing.length === 0, `missing: ${missing.map(([t, p]) => `${t} ${p}`).join(', ')}`);
  });
}

/** Search parameters, the CGM operation, formats. */
async function published(v: View): Promise<void> {
  await v.cited(C.searchParams, () => {
    const names = (t: string) => new Set((v.byType(t)?.searchParam ?? []).map((p) => p.name));
    const obs = names('Observation');
    const want: Array<[string, string]> = [
      ['Observation', 'code'],
      ['Observation', 'date'],
      ...(v.mivs.includes('cgm') ? ([['Observation', '_lastUpdated']] as Array<[string, string]>) : []),
      ['Device', 'device-name'],
      ['Device', 'type'],
      ['Device', 'manufacturer'],
    ];
    const missing = want.filter(([t, p]) => !names(t).has(p));
    if (v.mivs.includes('bloodGlucose') && !obs.has('value-quantity') && !obs.has('valueQuantity')) {
      missing.push(['Observation', 'value-quantity']);
    }
    expect(missing.length === 0, `not published: ${missing.map(([t, p]) => `${t} ${p}`).join(', ')}`);
  });
  await v.cited(C.operation, () => {
    if (!v.mivs.includes('cgm')) return 'the CGM MIV is not offered';
    const op = (v.byType('Observation')?.operation ?? []).find((o) => o.name === 'hddt-cgm-summary');
    if (!op) fail('Observation declares no hddt-cgm-summary operation');
    expect(op.definition?.split('|')[0] === CGM_SUMMARY_OPERATION, `definition is ${op.definition}`);
  });
  await v.cited(C.formats, () => {
    const f = Array.isArray(v.statement.format) ? (v.statement.format as string[]) : [];
    const json = f.some((x) => /json/.test(x));
    const xml = f.some((x) => /xml/.test(x));
    expect(json && xml, `format is ${JSON.stringify(v.statement.format)}`);
  });
}

/** What the statement leaves out must not answer either: Patient, writes. */
async function endpoints(ctx: KitContext, v: View): Promise<void> {
  await ctx.rec.check(C.noPatient, async (r) => {
    r.cite(...v.exchange);
    expect(!v.byType('Patient'), 'Patient is declared');
    const res = await ctx.probe.send({
      url: ctx.fhirUrl('Patient'),
      headers: { accept: 'application/fhir+json' },
    });
    const body = res.json<FhirResource>();
    const leaked =
      body?.resourceType === 'Bundle' && ((body.entry as unknown[] | undefined)?.length ?? 0) > 0;
    expect(res.status !== 200 || !leaked, `GET Patient answers HTTP ${res.status} with entries`);
    expect(res.status >= 400, `GET Patient answers HTTP ${res.status}`);
  });
  await ctx.rec.check(C.noWrites, async (r) => {
    r.cite(...v.exchange);
    for (const t of ['Observation', 'Device', 'DeviceMetric']) {
      const codes = (v.byType(t)?.interaction ?? []).map((i) => i.code);
      const writes = codes.filter((c) => c && /create|update|delete|patch/.test(c));
      expect(writes.length === 0, `${t} declares ${writes.join(', ')}`);
    }
    const res = await ctx.probe.send({
      method: 'POST',
      url: ctx.fhirUrl('Observation'),
      headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' },
      body: JSON.stringify({
        resourceType: 'Observation',
        status: 'final',
        code: { text: 'conformance kit' },
      }),
    });
    expect(
      res.status >= 400 && res.status !== 500,
      `POST Observation answers HTTP ${res.status || res.error}`,
    );
  });
}

async function run(ctx: KitContext): Promise<void> {
  const statement = await fetchStatement(ctx);
  ctx.capability = statement;
  const exchange = ctx.rec.lastEvidence;
  const resources = resourcesOf(statement);
  const v: View = {
    statement,
    exchange,
    resources,
    byType: (t) => resources.find((r) => r.type === t),
    mivs: ctx.offeredMivs(),
    cited: (spec, fn) =>
      ctx.rec.check(spec, async (r) => {
        r.cite(...exchange);
        return fn();
      }),
  };
  await declared(v);
  await published(v);
  await endpoints(ctx, v);
}

export const capabilityGroup: Group = { name: 'capability', checks: C, run };
