// The example file in docs/ imports as its page says, `import --help` points at the format page, and the page
// describes every field the example uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openStore } from '../../gateway/store/store.ts';
import { countReadings, listReadings } from '../../gateway/store/readings.ts';
import { listResources, parseResource } from '../../gateway/store/resources.ts';
import { validateReading } from '../../gateway/readings/validate.ts';
import type { Reading } from '../../gateway/readings/reading.ts';
import { ROOT, runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

const EXAMPLE = path.join(ROOT, 'docs', 'examples', 'readings.jsonl');
const PAGE = path.join(ROOT, 'docs', 'readings-jsonl.md');

interface Obs {
  code: { coding: Array<{ code: string }> };
  valueQuantity?: { value: number; comparator?: string };
  valueSampledData?: { data: string };
  dataAbsentReason?: { coding: Array<{ code: string }> };
}

test('docs/examples/readings.jsonl imports as docs/readings-jsonl.md says', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  // the command the page gives (its readings are older than the default historic data period)
  const env = {
    HDDT_DATA_DIR: dir,
    HDDT_HDDT__HISTORIC_DATA_PERIOD_DAYS: '{"bloodGlucose":3650,"cgm":3650}',
  };
  const r = runCli(['import', EXAMPLE, '--json'], env);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { read: 11, stored: 11, duplicates: 0, expired: 0, rejected: 0 });
  assert.ok(fs.readFileSync(PAGE, 'utf8').includes('read 11, stored 11, duplicate 0, expired 0, rejected 0'));

  const store = openStore({ path: path.join(dir, 'hddt.sqlite') });
  t.after(() => store.close());
  assert.equal(countReadings(store), 11);
  const meter = listReadings(store, 'import:glukko-check:SN004711');
  assert.deepEqual(
    meter.map((m) => [m.value, m.flag ?? null, m.flagReason ?? null]),
    [
      [112, null, null],
      [20, 'low', null],
      [600, 'high', null],
      [null, 'error', 'strip-insertion-error'],
      [131, null, null],
    ],
  );
  assert.equal(listReadings(store, 'import:glukko-cgm:C0FFEE000001').length, 6);

  const obs = listResources(store, 'Observation').map((row) => parseResource<Obs>(row));
  const cgm = obs.filter((o) => o.valueSampledData);
  const bg = obs.filter((o) => !o.valueSampledData);
  assert.equal(cgm.length, 1, 'one CGM chunk');
  assert.equal(cgm[0]!.valueSampledData!.data, '110 115 L U E 121 E E E E E E');
  assert.equal(bg.length, 4, 'four meter readings; the control-solution test is no Observation');
  const shown = bg.map((o) =>
    o.dataAbsentReason
      ? `absent:${o.dataAbsentReason.coding[0]!.code}`
      : `${o.valueQuantity!.comparator ?? ''}${o.valueQuantity!.value}`,
  );
  assert.deepEqual(shown.sort(), ['112', '<20', '>600', 'absent:error'].sort());
  assert.equal(listResources(store, 'Device').length, 2);
  assert.equal(listResources(store, 'DeviceMetric').length, 2);
});

test('import --help shows a valid Reading and names the format page and the example, which exist', () => {
  const r = runCli(['import', '--help']);
  assert.equal(r.status, 0);
  const lines = r.stdout.split('\n');
  const from = lines.findIndex((l) => l.includes('e.g. a blood glucose meter reading:'));
  const to = lines.findIndex((l) => l.startsWith('LO/HI'));
  assert.ok(from > 0 && to > from, r.stdout);
  const example = JSON.parse(lines.slice(from + 1, to).join('')) as Reading;
  assert.equal(validateReading(example), null, 'the help example is a valid Reading');
  // The CLI runs the compiled build, which names its own copy of docs/ (dist/docs); each must exist and match.
  const page = /Every field: (\S+)/.exec(r.stdout)?.[1] ?? '';
  const example2 = /An example with a meter and a CGM: (\S+)/.exec(r.stdout)?.[1] ?? '';
  assert.ok(
    page?.endsWith(path.join('docs', 'readings-jsonl.md')) && example2?.endsWith('readings.jsonl'),
    r.stdout,
  );
  assert.equal(fs.readFileSync(page, 'utf8'), fs.readFileSync(PAGE, 'utf8'));
  assert.equal(fs.readFileSync(example2, 'utf8'), fs.readFileSync(EXAMPLE, 'utf8'));
});

test('the format page describes every field the example uses, and every example line is a valid Reading', () => {
  const page = fs.readFileSync(PAGE, 'utf8');
  const keys = new Set<string>();
  const collect = (o: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(o)) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (typeof v === 'object' && v !== null && !Array.isArray(v))
        collect(v as Record<string, unknown>, key);
      else keys.add(key);
    }
  };
  const lines = fs.readFileSync(EXAMPLE, 'utf8').trim().split('\n');
  for (const line of lines) {
    const reading = JSON.parse(line) as Reading;
    assert.equal(validateReading(reading), null, line);
    collect(reading as unknown as Record<string, unknown>, '');
  }
  for (const key of keys) {
    const [head, ...rest] = key.split('.');
    const last = rest.at(-1);
    // `device.model` may be described in a row like "`device.manufacturer`, `.model`"
    const described =
      page.includes(`\`${key}\``) ||
      (last !== undefined && page.includes(`\`.${last}\``) && page.includes(`\`${head}.`));
    assert.ok(described, `docs/readings-jsonl.md describes ${key}`);
  }
});
