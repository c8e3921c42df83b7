// Devices and references (§1.2, §1.3, §3.6): _include returns what the Observations point at, the Device search
// parameters narrow correctly, Device and DeviceMetric searches show only devices behind authorized
// Observations, _lastUpdated finds what changed, and every id reads (and vreads) back.
import { defineChecks, expect, fail, skip } from '../check.ts';
import type { FhirResource, Group, KitContext, Pairing } from '../context.ts';
import { setDifference } from '../date-search.ts';
import { fhirGet, ids, searchAll } from '../fhir.ts';

const C = defineChecks('search-device', {
  include: {
    section: '1.3',
    level: 'MUST',
    requirement:
      '_include=Observation:device returns, as search.mode include, the resource every Observation.device references',
  },
  includeIterate: {
    section: '1.3',
    level: 'MUST',
    requirement:
      '_include:iterate=DeviceMetric:source also returns the Device behind each included DeviceMetric',
  },
  invalidInclude: {
    section: '1.4',
    level: 'MUST',
    requirement: 'an invalid _include gives 400 with an OperationOutcome',
  },
  deviceName: {
    section: '1.2',
    level: 'MUST',
    requirement: 'Device?device-name=<name> returns the devices of that name',
  },
  deviceType: {
    section: '1.2',
    level: 'MUST',
    requirement: 'Device?type=<system|code> returns the devices of that type',
  },
  manufacturer: {
    section: '1.2',
    level: 'MUST',
    requirement: 'Device?manufacturer=<text> returns the devices of that manufacturer',
  },
  metricSource: {
    section: '1.2',
    level: 'SHOULD',
    requirement: 'DeviceMetric?source=Device/<id> returns the metrics of that device',
  },
  deviceScope: {
    section: '3.6',
    level: 'MUST',
    requirement:
      'Device and DeviceMetric searches return only devices referenced (directly or via DeviceMetric.source) by authorized Observations',
  },
  lastUpdated: {
    section: '1.2',
    level: 'MUST',
    requirement:
      '_lastUpdated=gt/ge returns exactly the Observations changed after the value (HDDT polling; MUST for CGM)',
  },
  read: {
    section: '1.1',
    level: 'MUST',
    requirement: 'every Observation, Device and DeviceMetric id found reads back with GET [type]/[id]',
  },
  vread: {
    section: '1.1',
    level: 'MUST',
    requirement:
      'a Device or DeviceMetric with meta.versionId reads back with GET [type]/[id]/_history/[vid]',
  },
});

const refOf = (r: FhirResource, field: 'device' | 'source') =>
  (r[field] as { reference?: string } | undefined)?.reference;
const key = (ref: string) => ref.split('/').slice(-2).join('/');

async function includeChecks(ctx: KitContext, p: Pairing): Promise<void> {
  const inv = ctx.inventory(p.label);
  const included = new Set(ids([...inv.devices, ...inv.metrics]));
  await ctx.rec.check(C.include, () => {
    if (inv.observations.length === 0) skip('no Observations');
    const missing = inv.observations
      .map((o) => refOf(o, 'device'))
      .filter((r) => !r || !included.has(key(r)));
    expect(
      missing.length === 0,
      `${missing.length} Observation.device references not included (${missing.slice(0, 3).join(', ')})`,
    );
    return `${included.size} device resources included`;
  });
  await ctx.rec.check(C.includeIterate, () => {
    if (inv.metrics.length === 0) skip('no DeviceMetric referenced');
    const missing = inv.metrics.map((m) => refOf(m, 'source')).filter((r) => !r || !included.has(key(r)));
    expect(missing.length === 0, `${missing.length} DeviceMetric.source Devices not included`);
  });
  await ctx.rec.check(C.invalidInclude, async () => {
    const res = await fhirGet(ctx, p, 'Observation?_include=Observation:not-a-parameter');
    expect(res.status === 400, `HTTP ${res.status}`);
    expect(res.json<{ resourceType?: string }>()?.resourceType === 'OperationOutcome', 'no OperationOutcome');
  });
}

async function deviceParamChecks(ctx: KitContext, p: Pairing): Promise<void> {
  const devices = ctx.inventory(p.label).devices;
  const byParam = async (
    spec: (typeof C)[keyof typeof C],
    value: (d: FhirResource) => string | undefined,
    param: string,
    matchesValue: (d: FhirResource, v: string) => boolean,
  ) =>
    ctx.rec.check(spec, async () => {
      const d = devices.find((x) => value(x));
      if (!d) skip(`no Device with a value for ${param}`);
      const v = value(d)!;
      const r = await searchAll(ctx, p, 'Device', [[param, v]]);
      expect(ids(r.matches).includes(`Device/${d.id}`), `${param}=${v} does not return Device/${d.id}`);
      const wrong = r.matches.filter((x) => !matchesValue(x, v));
      expect(wrong.length === 0, `${param}=${v} also returns ${ids(wrong).join(', ')}`);
      return `${param}=${v}: ${r.matches.length}`;
    });
  const names = (d: FhirResource) =>
    ((d.deviceName as Array<{ name?: string }>) ?? []).map((n) => n.name ?? '');
  const codings = (d: FhirResource) =>
    (d.type as { coding?: Array<{ system?: string; code?: string }> })?.coding ?? [];
  await byParam(
    C.deviceName,
    (d) => names(d)[0],
    'device-name',
    (d, v) => names(d).some((n) => n.toLowerCase().startsWith(v.toLowerCase())),
  );
  await byParam(
    C.deviceType,
    (d) => {
      const c = codings(d)[0];
      return c?.code ? `${c.system ?? ''}|${c.code}` : undefined;
    },
    'type',
    (d, v) => codings(d).some((c) => `${c.system ?? ''}|${c.code}` === v),
  );
  await byParam(
    C.manufacturer,
    (d) => d.manufacturer as string | undefined,
    'manufacturer',
    (d, v) =>
      String(d.manufacturer ?? '')
        .toLowerCase()
        .startsWith(v.toLowerCase()),
  );
  await ctx.rec.check(C.metricSource, async () => {
    const m = ctx.inventory(p.label).metrics.find((x) => refOf(x, 'source'));
    if (!m) skip('no DeviceMetric with a source');
    const src = key(refOf(m, 'source')!);
    const r = await searchAll(ctx, p, 'DeviceMetric', [['source', src]]);
    expect(
      ids(r.matches).includes(`DeviceMetric/${m.id}`),
      `source=${src} does not return DeviceMetric/${m.id}`,
    );
    const wrong = r.matches.filter((x) => key(refOf(x, 'source') ?? '') !== src);
    expect(wrong.length === 0, `also returns ${ids(wrong).join(', ')}`);
  });
}

async function scopeCheck(ctx: KitContext, p: Pairing): Promise<void> {
  await ctx.rec.check(C.deviceScope, async () => {
    const inv = ctx.inventory(p.label);
    const allowed = new Set(ids([...inv.devices, ...inv.metrics]));
    const devices = await searchAll(ctx, p, 'Device', [['_count', '100']]);
    const metrics = await searchAll(ctx, p, 'DeviceMetric', [['_count', '100']]);
    const extra = ids([...devices.matches, ...metrics.matches]).filter((x) => !allowed.has(x));
    expect(extra.length === 0, `returned without an authorized Observation: ${extra.slice(0, 3).join(', ')}`);
    return `${devices.matches.length} Devices, ${metrics.matches.length} DeviceMetrics`;
  });
}

async function lastUpdatedCheck(ctx: KitContext, p: Pairing): Promise<void> {
  await ctx.rec.check(C.lastUpdated, async () => {
    const obs = ctx.inventory(p.label).observations;
    const times = obs.map((o) => Date.parse(o.meta?.lastUpdated ?? '')).filter((t) => !Number.isNaN(t));
    if (times.length === 0) skip('no Observation has meta.lastUpdated');
    expect(times.length === obs.length, 'some Observations have no meta.lastUpdated');
    const max = Math.max(...times);
    const min = Math.min(...times);
    const all = new Set(ids(obs));
    const search = async (v: string, want: Set<string>) => {
      const got = new Set(
        ids(
          (
            await searchAll(ctx, p, 'Observation', [
              ['_lastUpdated', v],
              ['_count', '100'],
            ])
          ).matches,
        ),
      );
      const diff = setDifference(want, got);
      if (diff) fail(`_lastUpdated=${v}: ${diff}`);
    };
    const iso = (ms: number) => new Date(ms).toISOString();
    await search(`ge${iso(min)}`, all);
    await search(`gt${iso(max + 1000)}`, new Set());
    const distinct = [...new Set(times)].sort((a, b) => a - b);
    const i = distinct.findIndex((t, k) => k > 0 && t - distinct[k - 1]! >= 4);
    if (i > 0) {
      const pivot = Math.floor((distinct[i - 1]! + distinct[i]!) / 2);
      await search(
        `gt${iso(pivot)}`,
        new Set(ids(obs.filter((o) => Date.parse(o.meta!.lastUpdated!) > pivot))),
      );
      return `${distinct.length} distinct lastUpdated values, pivot ${iso(pivot)}`;
    }
    return 'one lastUpdated value: all before it, none after it';
  });
}

async function readChecks(ctx: KitContext, p: Pairing): Promise<void> {
  const inv = ctx.inventory(p.label);
  await ctx.rec.check(C.read, async () => {
    const sample = [
      ...inv.observations.slice(0, 3),
      ...inv.observations.slice(-2),
      ...inv.devices,
      ...inv.metrics,
    ];
    if (sample.length === 0) skip('nothing found to read');
    for (const r of sample) {
      const res = await fhirGet(ctx, p, `${r.resourceType}/${r.id}`);
      expect(res.status === 200, `${r.resourceType}/${r.id}: HTTP ${res.status}`);
      const got = res.json<FhirResource>();
      expect(
        got?.resourceType === r.resourceType && got.id === r.id,
        `${r.resourceType}/${r.id}: another resource came back`,
      );
    }
    return `${sample.length} reads`;
  });
  await ctx.rec.check(C.vread, async () => {
    const versioned = [...inv.devices, ...inv.metrics].filter((r) => r.meta?.versionId);
    if (versioned.length === 0)
      skip('no Device or DeviceMetric carries meta.versionId (vread MAY be omitted then)');
    for (const r of versioned) {
      const res = await fhirGet(ctx, p, `${r.resourceType}/${r.id}/_history/${r.meta!.versionId}`);
      expect(
        res.status === 200,
        `${r.resourceType}/${r.id}/_history/${r.meta!.versionId}: HTTP ${res.status}`,
      );
      expect(res.json<FhirResource>()?.meta?.versionId === r.meta!.versionId, 'another version came back');
    }
    return `${versioned.length} vreads`;
  });
}

async function run(ctx: KitContext): Promise<void> {
  const p = ctx.pairing('a1');
  await includeChecks(ctx, p);
  await deviceParamChecks(ctx, p);
  await scopeCheck(ctx, p);
  await lastUpdatedCheck(ctx, p);
  await readChecks(ctx, p);
}

export const searchDeviceGroup: Group = { name: 'search-device', checks: C, run };
