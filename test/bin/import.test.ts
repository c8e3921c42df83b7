import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { bgSeries, cgmSeries } from '../../firmware-bridge/synthetic-readings.ts';
import { openStore } from '../../gateway/store/store.ts';
import { countReadings } from '../../gateway/store/readings.ts';
import { listResources } from '../../gateway/store/resources.ts';
import { runCli, spawnCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

// recent enough to be inside the 30-day historic data period
const T0 = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000 - 5 * 86_400_000);

test('import: stores readings, skips bad lines by number, keeps what was stored, and is idempotent', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const env = { HDDT_DATA_DIR: dir };
  const good = [
    ...cgmSeries({ deviceKey: 'ble:c1', sessionStart: T0, count: 120 }),
    ...bgSeries({ deviceKey: 'serial:m1', start: T0, days: 2 }),
  ].map((r) => JSON.stringify(r));
  const lines = [
    ...good.slice(0, 50),
    '{not json',
    '',
    JSON.stringify({ ...JSON.parse(good[0]), identity: 'x', unit: 'g/L' }),
    ...good.slice(50),
  ];
  const file = path.join(dir, 'in.jsonl');
  fs.writeFileSync(file, lines.join('\n') + '\n');

  const first = runCli(['import', file, '--json'], env);
  assert.equal(first.status, 0, first.stderr);
  assert.deepEqual(JSON.parse(first.stdout), {
    read: 138,
    stored: 136,
    duplicates: 0,
    expired: 0,
    rejected: 2,
  });
  assert.match(first.stderr, /^line 51: not valid JSON/m);
  assert.match(first.stderr, /^line 53: unit must be "mg\/dL" or "mmol\/L", got "g\/L"$/m);

  const second = runCli(['import', file], env);
  assert.equal(second.status, 0);
  assert.equal(second.stdout.trim(), 'read 138, stored 0, duplicate 136, expired 0, rejected 2');

  const store = openStore({ path: path.join(dir, 'hddt.sqlite') });
  t.after(() => store.close());
  assert.equal(countReadings(store), 136);
  // 2 CGM chunks + 16 BG Observations
  assert.equal(listResources(store, 'Observation').length, 18);
});

test('import: a missing file or an invalid configuration exits 2 with one line naming the problem', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const missing = runCli(['import', path.join(dir, 'nope.jsonl')], { HDDT_DATA_DIR: dir });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot read .*nope\.jsonl/);
  fs.writeFileSync(path.join(dir, 'a.jsonl'), '');
  const badConfig = runCli(['import', path.join(dir, 'a.jsonl')], {
    HDDT_DATA_DIR: dir,
    HDDT_LOG__LEVEL: 'chatty',
  });
  assert.equal(badConfig.status, 2);
  assert.match(badConfig.stderr, /'log\.level' \(from HDDT_LOG__LEVEL\) has value "chatty"/);
});

test('every command answers --help', () => {
  const top = runCli(['--help']);
  assert.equal(top.status, 0);
  const names = [...top.stdout.matchAll(/^ {2}([a-z-]+) /gm)].map((m) => m[1]).filter((n) => n !== 'help');
  assert.ok(names.includes('run') && names.includes('import'));
  for (const name of names) {
    const r = runCli([name, '--help']);
    assert.equal(r.status, 0, `${name} --help`);
    assert.match(r.stdout, new RegExp(`Usage: hddt-gateway ${name}`));
  }
});

test('run: starts on the default configuration and stops cleanly on SIGTERM', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  // port 0: tests run in parallel, the default operator port may be taken
  const child = spawnCli(['run'], { HDDT_DATA_DIR: dir, HDDT_OPERATOR__PORT: '0' });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start line: ${err}`)), 30_000);
    child.stderr!.on('data', () => {
      if (err.includes('gateway running')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  assert.ok(fs.existsSync(path.join(dir, 'hddt.sqlite')));
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
  assert.doesNotMatch(err, /"level":50/, 'no error logged');
});

test('run: an invalid configuration file stops start-up with exit 2', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const file = path.join(dir, 'c.json');
  fs.writeFileSync(file, JSON.stringify({ hddt: { chunkMinutes: 'hourly' } }));
  const r = runCli(['run', '--config', file]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /'hddt\.chunkMinutes' has value "hourly": expected a value of type integer/);
});
