// Representation (§1.4): JSON and XML with the FHIR media types, _format, the fhirVersion MIME parameter, and
// 406/415 for what the DDR does not speak. XML answers are parsed (FHIR.js) and compared with the JSON ones.
import { Fhir } from 'fhir';
import { defineChecks, expect, skip } from '../check.ts';
import type { FhirResource, Group, KitContext } from '../context.ts';
import { FHIR_JSON, FHIR_XML, fhirCall, outcomeOf } from '../fhir.ts';
import type { ProbeResponse } from '../http.ts';

const C = defineChecks('formats', {
  json: {
    section: '1.4',
    level: 'MUST',
    requirement: 'JSON answers carry Content-Type application/fhir+json',
  },
  xmlSearch: {
    section: '1.4',
    level: 'MUST',
    requirement: 'Accept: application/fhir+xml gives the same search result as XML (application/fhir+xml)',
  },
  xmlRead: {
    section: '1.4',
    level: 'MUST',
    requirement: 'a read with Accept: application/fhir+xml gives the same resource as XML',
  },
  formatParam: { section: '1.4', level: 'SHOULD', requirement: '_format=xml gives XML, _format=json JSON' },
  fhirVersionParam: {
    section: '1.4',
    level: 'MUST',
    requirement:
      'the fhirVersion MIME parameter is understood: Accept application/fhir+json; fhirVersion=4.0 answers 200',
  },
  wrongFhirVersion: { section: '1.4', level: 'MUST', requirement: 'Accept with fhirVersion=3.0 gives 406' },
  unsupportedAccept: {
    section: '1.4',
    level: 'MUST',
    requirement: 'an Accept the DDR cannot produce (application/pdf) gives 406',
  },
  unsupportedContentType: {
    section: '1.4',
    level: 'MUST',
    requirement: 'a POST _search with Content-Type text/plain gives 415',
  },
  notSupportedOutcome: {
    section: '1.4',
    level: 'SHOULD',
    requirement: '406 and 415 answers carry an OperationOutcome with issue code not-supported',
  },
});

const fhir = new Fhir();

function fromXml(res: ProbeResponse): FhirResource | undefined {
  try {
    return fhir.xmlToObj(res.text) as FhirResource;
  } catch {
    return undefined;
  }
}

const entryIds = (b: FhirResource | undefined) =>
  ((b?.entry as Array<{ resource?: FhirResource }>) ?? [])
    .map((e) => `${e.resource?.resourceType}/${e.resource?.id}`)
    .join(' ');

const Q = 'Observation?_count=3';

/** JSON and XML, the same content both ways. */
async function spoken(ctx: KitContext, token: string, obs: FhirResource[]): Promise<void> {
  const q = Q;
  await ctx.rec.check(C.json, async () => {
    const res = await fhirCall(ctx, q, { token });
    expect(res.status === 200, `HTTP ${res.status}`);
    expect(
      /^application\/fhir\+json/.test(res.header('content-type') ?? ''),
      `Content-Type ${res.header('content-type')}`,
    );
  });
  const json = ctx.rec.lastEvidence[0]?.response?.body;
  await ctx.rec.check(C.xmlSearch, async () => {
    const res = await fhirCall(ctx, q, { token, accept: FHIR_XML });
    expect(res.status === 200, `HTTP ${res.status}`);
    expect(
      /^application\/fhir\+xml/.test(res.header('content-type') ?? ''),
      `Content-Type ${res.header('content-type')}`,
    );
    const b = fromXml(res);
    expect(b?.resourceType === 'Bundle', 'the body is not a FHIR XML Bundle');
    const want = entryIds(json ? (JSON.parse(json) as FhirResource) : undefined);
    expect(entryIds(b) === want, `XML entries ${entryIds(b)} differ from JSON ${want}`);
  });
  await ctx.rec.check(C.xmlRead, async () => {
    const o = obs[0];
    if (!o) skip('no Observation to read');
    const res = await fhirCall(ctx, `Observation/${o.id}`, { token, accept: FHIR_XML });
    expect(res.status === 200, `HTTP ${res.status}`);
    const r = fromXml(res);
    expect(r?.resourceType === 'Observation' && r.id === o.id, 'not the same Observation');
    expect(
      r.meta?.versionId === o.meta?.versionId,
      `versionId ${r.meta?.versionId}, JSON ${o.meta?.versionId}`,
    );
  });
  await ctx.rec.check(C.formatParam, async () => {
    const x = await fhirCall(ctx, `${q}&_format=xml`, { token, accept: '*/*' });
    expect(
      x.status === 200 && /xml/.test(x.header('content-type') ?? ''),
      `_format=xml: HTTP ${x.status} ${x.header('content-type')}`,
    );
    const j = await fhirCall(ctx, `${q}&_format=json`, { token, accept: '*/*' });
    expect(
      j.status === 200 && /json/.test(j.header('content-type') ?? ''),
      `_format=json: HTTP ${j.status} ${j.header('content-type')}`,
    );
  });
  await ctx.rec.check(C.fhirVersionParam, async () => {
    const res = await fhirCall(ctx, q, { token, accept: `${FHIR_JSON}; fhirVersion=4.0` });
    expect(res.status === 200, `HTTP ${res.status}`);
  });
}

/** 406 and 415 for what the DDR does not speak, with a not-supported OperationOutcome. */
async function refusals(ctx: KitContext, token: string): Promise<void> {
  const outcomes: ProbeResponse[] = [];
  const refused = async (
    spec: (typeof C)[keyof typeof C],
    status: number,
    call: Parameters<typeof fhirCall>[2],
    path = Q,
  ) =>
    ctx.rec.check(spec, async () => {
      const res = await fhirCall(ctx, path, { token, ...call });
      outcomes.push(res);
      expect(res.status === status, `HTTP ${res.status}, not ${status}`);
    });
  await refused(C.wrongFhirVersion, 406, { accept: `${FHIR_JSON}; fhirVersion=3.0` });
  await refused(C.unsupportedAccept, 406, { accept: 'application/pdf' });
  await refused(
    C.unsupportedContentType,
    415,
    { method: 'POST', body: 'code=x', contentType: 'text/plain' },
    'Observation/_search',
  );
  await ctx.rec.check(C.notSupportedOutcome, (r) => {
    r.cite(...outcomes.map((o) => o.exchange));
    for (const res of outcomes) {
      if (res.status !== 406 && res.status !== 415) continue;
      const oo = outcomeOf(res);
      expect(oo, `HTTP ${res.status} without an OperationOutcome`);
      expect(
        oo.issue.some((i) => i.code === 'not-supported'),
        `HTTP ${res.status}: issue code ${String(oo.issue[0]?.code)}`,
      );
    }
  });
}

async function run(ctx: KitContext): Promise<void> {
  const token = ctx.pairing('a1').tokens.access_token;
  await spoken(ctx, token, ctx.inventory('a1').observations);
  await refusals(ctx, token);
}

export const formatsGroup: Group = { name: 'formats', checks: C, run };
