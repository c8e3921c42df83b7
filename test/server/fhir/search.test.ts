// Search against a real store filled by ingest(): every date prefix, value-quantity, tokens, strings,
// includes, sorting, keyset paging (also while data arrives), patient and MIV isolation.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ingest } from '../../../gateway/ingest/pipeline.ts';
import { bgSeries, cgmSeries } from '../../../firmware-bridge/synthetic-readings.ts';
import { EntryCache, runSearch } from '../../../server/fhir/search.ts';
import type { SearchType } from '../../../gateway/store/fhir-search.ts';
import { readVisible } from '../../../gateway/store/fhir-search.ts';
import { writeResourceRow } from '../../../gateway/store/resources.ts';
import { MGDL_PER_MMOLL } from '../../../gateway/hddt/codes.ts';
import { buildDataset, scopeOf } from './fixture.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
type Miv = 'bloodGlucose' | 'cgm';

const ds = buildDataset({ days: 3 });
after(() => ds.cleanup());
const NOW = ds.end.getTime();
const BG = '41653-7';
const CGM = '99504-3';
// One per server in the product; here one for the file, as a server would keep it across requests.
const entries = new EntryCache();

function search(
  type: SearchType,
  params: Array<[string, string]>,
  opts: { patient?: string; mivs?: Miv[]; cutoff?: number; baseUrl?: string } = {},
) {
  const mivs = opts.mivs ?? ['bloodGlucose', 'cgm'];
  const res = runSearch(ds.store, {
    type,
    params,
    scope: scopeOf(opts.patient ?? ds.patients.a, mivs, opts.cutoff ?? 0),
    ctx: { nowMs: NOW, defaultCount: 50, maxCount: 10_000, mivs, historicCutoffMs: opts.cutoff ?? 0 },
    baseUrl: opts.baseUrl ?? 'https://hub.example/fhir',
    cursorSecret: Buffer.alloc(32, 1),
    entries,
  });
  return JSON.parse(res.body.toString('utf8')) as Json;
}

const matches = (b: Json) =>
  (b.entry ?? []).filter((e: Json) => e.search.mode === 'match').map((e: Json) => e.resource);
const bgTimes = (b: Json) => matches(b).map((o: Json) => o.effectiveDateTime as string);

test('date: every R4 prefix on instants (blood glucose, 8 a day)', () => {
  const q = (date: string) =>
    bgTimes(
      search('Observation', [
        ['code', BG],
        ['date', date],
        ['_count', '1000'],
      ]),
    );
  assert.equal(q('2025-10-30').length, 8);
  assert.deepEqual(q('2025-10-30T06:00:00Z'), ['2025-10-30T06:00:00Z']);
  assert.equal(q('eq2025-10-30').length, 8);
  assert.equal(q('ne2025-10-30').length, 16);
  assert.equal(q('gt2025-10-30').length, 8);
  assert.equal(q('ge2025-10-30').length, 16);
  assert.equal(q('lt2025-10-30').length, 8);
  assert.equal(q('le2025-10-30').length, 16);
  assert.equal(q('sa2025-10-30').length, 8);
  assert.equal(q('eb2025-10-30').length, 8);
  // 42 h before now → ±4.2 h around 06:00
  assert.deepEqual(q('ap2025-10-30T06:00Z'), [
    '2025-10-30T06:00:00Z',
    '2025-10-30T08:00:00Z',
    '2025-10-30T10:00:00Z',
  ]);
  assert.equal(q('2025-10').length, 24);
  assert.equal(q('2025-10-30T06:00+02:00').length, 0);
  assert.deepEqual(q('2025-10-30T08:00+02:00'), ['2025-10-30T06:00:00Z']);
  // two date parameters = a range (AND)
  const both = search('Observation', [
    ['code', BG],
    ['date', 'ge2025-10-30T08:00:00Z'],
    ['date', 'lt2025-10-30T12:00:00Z'],
  ]);
  assert.deepEqual(bgTimes(both), ['2025-10-30T08:00:00Z', '2025-10-30T10:00:00Z']);
});

test('date on CGM chunks compares periods (the DiGA polling pattern)', () => {
  const periods = (date: string) =>
    matches(
      search('Observation', [
        ['code', CGM],
        ['date', date],
        ['_count', '1000'],
      ]),
    ).map((o: Json) => o.effectivePeriod.start);
  assert.deepEqual(periods('gt2025-10-31T22:00:00Z'), ['2025-10-31T22:00:00Z', '2025-10-31T23:00:00Z']);
  // the chunk ending exactly at 22:00 is excluded once polling asks for end + 1 s
  assert.deepEqual(periods('gt2025-10-31T22:00:01Z'), ['2025-10-31T22:00:00Z', '2025-10-31T23:00:00Z']);
  assert.deepEqual(periods('eq2025-10-31'), periods('2025-10-31'));
  assert.equal(periods('2025-10-31').length, 24);
  assert.equal(periods('sa2025-10-31T21:30Z').length, 2);
});

test('code with and without system; _id; _lastUpdated', () => {
  const all = matches(
    search('Observation', [
      ['code', BG],
      ['_count', '1000'],
    ]),
  );
  assert.equal(all.length, 24);
  assert.equal(
    matches(
      search('Observation', [
        ['code', `http://loinc.org|${BG}`],
        ['_count', '1000'],
      ]),
    ).length,
    24,
  );
  assert.equal(matches(search('Observation', [['code', `http://snomed.info/sct|${BG}`]])).length, 0);
  const ids = [all[0].id, all[5].id];
  assert.deepEqual(
    matches(search('Observation', [['_id', ids.join(',')]]))
      .map((o: Json) => o.id)
      .sort(),
    [...ids].sort(),
  );
  const latest = all
    .map((o: Json) => o.meta.lastUpdated)
    .sort()
    .at(-1);
  assert.ok(
    matches(
      search('Observation', [
        ['code', BG],
        ['_lastUpdated', `le${latest}`],
        ['_count', '1000'],
      ]),
    ).length === 24,
  );
  assert.equal(matches(search('Observation', [['_lastUpdated', 'lt2025-01-01']])).length, 0);
});

test('value-quantity: prefixes and units agree with the values', () => {
  const all = matches(
    search('Observation', [
      ['code', BG],
      ['_count', '1000'],
    ]),
  );
  const count = (vq: string) =>
    matches(
      search('Observation', [
        ['value-quantity', vq],
        ['_count', '1000'],
      ]),
    ).length;
  const values = all.map((o: Json) => o.valueQuantity.value as number);
  assert.equal(count('gt150'), values.filter((v: number) => v > 150).length);
  assert.equal(count('le120'), values.filter((v: number) => v <= 120).length);
  assert.equal(count('ge150||mg/dL'), values.filter((v: number) => v >= 150).length);
  const mmol = values.filter((v: number) => v < 8.3 * MGDL_PER_MMOLL).length;
  assert.equal(count('lt8.3|http://unitsofmeasure.org|mmol/L'), mmol);
  assert.equal(count(`eq${values[0]}`), values.filter((v: number) => Math.abs(v - values[0]) < 0.5).length);
  assert.ok(count('gt150') > 0 && count('gt150') < values.length, 'the data set spans the threshold');
});

test('Device: device-name, manufacturer, type; DeviceMetric: source', () => {
  const names = (params: Array<[string, string]>) =>
    matches(search('Device', params)).map((d: Json) => d.deviceName[0].name);
  assert.deepEqual(names([['device-name', 'glukkocgm']]), ['GlukkoCGM 18']);
  assert.deepEqual(names([['device-name:exact', 'GlukkoCGM']]), []);
  assert.deepEqual(names([['device-name:contains', 'check']]), ['GlukkoCheck plus mg/dL']);
  assert.equal(names([['manufacturer', 'glukko']]).length, 2);
  assert.deepEqual(names([['type', 'http://snomed.info/sct|337414009']]), ['GlukkoCheck plus mg/dL']);
  assert.deepEqual(names([['type', '700585005']]), ['GlukkoCGM 18']);
  const device = matches(search('Device', [['type', '700585005']]))[0];
  const metrics = matches(search('DeviceMetric', [['source', `Device/${device.id}`]]));
  assert.equal(metrics.length, 1);
  assert.equal(metrics[0].source.reference, `Device/${device.id}`);
});

test('_include=Observation:device and _include:iterate=DeviceMetric:source add each target once, mode include', () => {
  const b = search('Observation', [
    ['_count', '30'],
    ['_include', 'Observation:device'],
    ['_include:iterate', 'DeviceMetric:source'],
  ]);
  const included = b.entry.filter((e: Json) => e.search.mode === 'include').map((e: Json) => e.resource);
  const refs = new Set(matches(b).map((o: Json) => o.device.reference));
  const metrics = included.filter((r: Json) => r.resourceType === 'DeviceMetric');
  assert.deepEqual(new Set(metrics.map((m: Json) => `DeviceMetric/${m.id}`)), refs);
  const devices = included.filter((r: Json) => r.resourceType === 'Device');
  assert.deepEqual(
    new Set(devices.map((d: Json) => `Device/${d.id}`)),
    new Set(metrics.map((m: Json) => m.source.reference)),
  );
  const noIterate = search('Observation', [
    ['_count', '30'],
    ['_include', 'Observation:device'],
  ]);
  assert.ok(noIterate.entry.every((e: Json) => e.resource.resourceType !== 'Device'));
});

test('_sort by date and _lastUpdated, both directions', () => {
  const asc = bgTimes(
    search('Observation', [
      ['code', BG],
      ['_sort', 'date'],
      ['_count', '1000'],
    ]),
  );
  assert.deepEqual(asc, [...asc].sort());
  const desc = bgTimes(
    search('Observation', [
      ['code', BG],
      ['_sort', '-date'],
      ['_count', '1000'],
    ]),
  );
  assert.deepEqual(desc, [...asc].reverse());
  assert.equal(
    bgTimes(
      search('Observation', [
        ['code', BG],
        ['_sort', '-date'],
        ['_count', '1'],
      ]),
    )[0],
    asc.at(-1),
  );
  const lu = matches(
    search('Observation', [
      ['_sort', '-_lastUpdated'],
      ['_count', '1000'],
    ]),
  ).map((o: Json) => o.meta.lastUpdated);
  assert.deepEqual(lu, [...lu].sort().reverse());
});

function walk(params: Array<[string, string]>, opts: { onPage?: (n: number) => void } = {}) {
  const ids: string[] = [];
  let b = search('Observation', params);
  let pages = 0;
  for (;;) {
    pages++;
    ids.push(...matches(b).map((o: Json) => o.id));
    opts.onPage?.(pages);
    const next = b.link.find((l: Json) => l.relation === 'next');
    if (!next) break;
    b = search('Observation', [...new URL(next.url).searchParams]);
  }
  return { ids, pages, last: b };
}

test('keyset paging visits every match exactly once, forwards and backwards, keeping every parameter', () => {
  const params: Array<[string, string]> = [
    ['date', 'ge2025-10-30'],
    ['_count', '7'],
    ['_include', 'Observation:device'],
  ];
  const expected = matches(
    search('Observation', [
      ['date', 'ge2025-10-30'],
      ['_count', '10000'],
    ]),
  ).map((o: Json) => o.id);
  const { ids, pages, last } = walk(params);
  assert.deepEqual(ids, expected);
  assert.equal(pages, Math.ceil(expected.length / 7));
  const nextUrl = new URL(search('Observation', params).link.find((l: Json) => l.relation === 'next').url);
  assert.equal(nextUrl.searchParams.get('_include'), 'Observation:device');
  assert.equal(nextUrl.searchParams.get('date'), 'ge2025-10-30');
  // backwards from the last page
  const back: string[] = [];
  let b = last;
  for (;;) {
    back.unshift(...matches(b).map((o: Json) => o.id));
    const prev = b.link.find((l: Json) => l.relation === 'previous');
    if (!prev) break;
    b = search('Observation', [...new URL(prev.url).searchParams]);
  }
  assert.deepEqual(back, expected);
});

test('a cursor from one search is refused by another', () => {
  const b = search('Observation', [['_count', '2']]);
  const cursor = new URL(b.link.find((l: Json) => l.relation === 'next').url).searchParams.get('_cursor')!;
  assert.throws(
    () =>
      search('Observation', [
        ['_count', '3'],
        ['_cursor', cursor],
      ]),
    /cursor/,
  );
});

test('paging stays stable while data arrives (no duplicates, nothing skipped)', () => {
  const params: Array<[string, string]> = [
    ['code', BG],
    ['_count', '5'],
    ['_sort', 'date'],
  ];
  const before = matches(
    search('Observation', [
      ['code', BG],
      ['_count', '10000'],
    ]),
  ).map((o: Json) => o.id);
  const { ids } = walk(params, {
    onPage: (n) => {
      if (n !== 2) return;
      // a meter dump arrives mid-walk: older and newer readings of another meter of patient A
      ingest(
        ds.store,
        bgSeries({
          deviceKey: ds.devices.bgA,
          start: new Date(ds.start.getTime() - 86_400_000),
          days: 1,
          firstSequence: 5000,
        }),
        {
          now: ds.end,
        },
      );
      ingest(
        ds.store,
        cgmSeries({ deviceKey: ds.devices.cgmA, sessionStart: ds.start, count: 10, firstIndex: 4320 }),
        {
          now: ds.end,
        },
      );
    },
  });
  assert.equal(new Set(ids).size, ids.length, 'no duplicates');
  for (const id of before) assert.ok(ids.includes(id), 'nothing present at the start is skipped');
});

test("patient isolation: A's scope never yields B's resources, reads of B's resources are invisible", () => {
  const aIds = new Set(matches(search('Observation', [['_count', '10000']])).map((o: Json) => o.id));
  const bAll = matches(search('Observation', [['_count', '10000']], { patient: ds.patients.b }));
  assert.ok(bAll.length > 0);
  for (const o of bAll) {
    assert.ok(!aIds.has(o.id));
    assert.equal(
      readVisible(ds.store, 'Observation', o.id, scopeOf(ds.patients.a, ['bloodGlucose', 'cgm'])),
      undefined,
    );
  }
  const bDevices = matches(search('Device', [], { patient: ds.patients.b }));
  for (const d of bDevices) {
    assert.equal(
      readVisible(ds.store, 'Device', d.id, scopeOf(ds.patients.a, ['bloodGlucose', 'cgm'])),
      undefined,
    );
  }
});

test('MIV isolation: a blood-glucose-only scope sees no CGM data and no CGM devices', () => {
  const bgOnly: { mivs: Miv[] } = { mivs: ['bloodGlucose'] };
  const obs = matches(search('Observation', [['_count', '10000']], bgOnly));
  assert.ok(obs.length > 0 && obs.every((o: Json) => o.effectiveDateTime && !o.valueSampledData));
  const devices = matches(search('Device', [], bgOnly));
  assert.deepEqual(
    devices.map((d: Json) => d.type.coding[0].code),
    ['337414009'],
  );
  const metrics = matches(search('DeviceMetric', [], bgOnly));
  assert.deepEqual(
    metrics.map((m: Json) => m.type.coding[0].code),
    ['160184'],
  );
  const cgmChunk = matches(
    search('Observation', [
      ['code', CGM],
      ['_count', '1'],
    ]),
  )[0];
  assert.equal(
    readVisible(ds.store, 'Observation', cgmChunk.id, scopeOf(ds.patients.a, ['bloodGlucose'])),
    undefined,
  );
  const b = search('Observation', [['code', CGM]], bgOnly);
  assert.equal(matches(b).length, 0);
  assert.equal(b.entry.at(-1).search.mode, 'outcome');
});

test('the historic data period hides older observations', () => {
  const cutoff = Date.parse('2025-10-31T00:00:00Z');
  const obs = matches(
    search(
      'Observation',
      [
        ['code', BG],
        ['_count', '1000'],
      ],
      { cutoff },
    ),
  );
  assert.equal(obs.length, 8);
  const b = search('Observation', [['date', 'lt2025-10-30']], { cutoff });
  assert.equal(matches(b).length, 0);
  assert.match(JSON.stringify(b.entry.at(-1).resource), /outside the historical time range/);
});

test('entries follow the base URL of each request and the current version of each resource', () => {
  const params: Array<[string, string]> = [
    ['code', BG],
    ['_count', '5'],
  ];
  const first = search('Observation', params);
  const again = search('Observation', params, { baseUrl: 'https://other.example:8443/fhir' });
  const urls = (b: Json) => (b.entry as Json[]).map((e) => e.fullUrl as string);
  assert.ok(urls(first).every((u) => u.startsWith('https://hub.example/fhir/Observation/')));
  assert.ok(urls(again).every((u) => u.startsWith('https://other.example:8443/fhir/Observation/')));
  // a new version of a served resource is served as it is now
  const id = matches(first)[0].id as string;
  const row = ds.store.db
    .prepare("SELECT * FROM resources WHERE type = 'Observation' AND id = ?")
    .get(id) as Parameters<typeof writeResourceRow>[1];
  const changed = JSON.parse(row.json) as Json;
  changed.status = 'amended';
  writeResourceRow(ds.store, { ...row, version: row.version + 1, json: JSON.stringify(changed) });
  const now = matches(search('Observation', params)).find((o: Json) => o.id === id);
  assert.equal(now.status, 'amended');
  writeResourceRow(ds.store, row);
});
