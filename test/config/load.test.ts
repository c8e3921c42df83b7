import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, configSchema, envOverrides, loadConfig } from '../../config/load.ts';
import { tempDir } from '../helpers/tmp.ts';

test('defaults load and validate', () => {
  const c = loadConfig({ env: {} });
  assert.equal(c.hddt.chunkMinutes, 60);
  assert.equal(c.timezone, 'Europe/Berlin');
  assert.equal(c.ble.enabled, false);
});

test('the schema covers every key of default.json', () => {
  const schema = configSchema() as { properties: Record<string, unknown> };
  const defaults = JSON.parse(fs.readFileSync(new URL('../../config/default.json', import.meta.url), 'utf8'));
  for (const key of Object.keys(defaults)) assert.ok(key in schema.properties, `schema lacks ${key}`);
});

test('a --config file overrides defaults, HDDT_* env overrides the file', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const file = path.join(dir, 'c.json');
  fs.writeFileSync(file, JSON.stringify({ hddt: { chunkMinutes: 30 }, gatewayId: 'from-file' }));
  const c = loadConfig({
    file,
    env: { HDDT_GATEWAY_ID: 'from-env', HDDT_HDDT__DELAY_FROM_REAL_TIME_SECONDS: '60' },
  });
  assert.equal(c.hddt.chunkMinutes, 30);
  assert.equal(c.hddt.historicDataPeriodDays.cgm, 30, 'untouched nested defaults survive the merge');
  assert.equal(c.gatewayId, 'from-env');
  assert.equal(c.hddt.delayFromRealTimeSeconds, 60);
});

test('env names map to nested camelCase keys and JSON values', () => {
  const { values } = envOverrides({ HDDT_HDDT__CHUNK_MINUTES: '15', HDDT_LOG__LEVEL: 'debug', OTHER: 'x' });
  assert.deepEqual(values, { hddt: { chunkMinutes: 15 }, log: { level: 'debug' } });
});

const invalid: Array<{ name: string; env?: Record<string, string>; file?: unknown; expect: RegExp }> = [
  {
    name: 'wrong type',
    env: { HDDT_HDDT__CHUNK_MINUTES: '"sixty"' },
    expect:
      /'hddt\.chunkMinutes' \(from HDDT_HDDT__CHUNK_MINUTES\) has value "sixty": expected a value of type integer/,
  },
  {
    name: 'below minimum',
    file: { hddt: { historicDataPeriodDays: { cgm: 7 } } },
    expect: /'hddt\.historicDataPeriodDays\.cgm' has value 7: expected must be >= 30/,
  },
  { name: 'unknown key', file: { hdtt: {} }, expect: /'hdtt' has value \{\}: expected no such key/ },
  {
    name: 'unknown nested key',
    file: { hddt: { chunkMinute: 5 } },
    expect: /'hddt\.chunkMinute' has value 5/,
  },
  {
    name: 'bad enum',
    file: { log: { level: 'loud' } },
    expect: /'log\.level' has value "loud": expected one of \["fatal","error"/,
  },
  {
    name: 'bad time zone',
    env: { HDDT_TIMEZONE: 'Europe/Atlantis' },
    expect: /'timezone' \(from HDDT_TIMEZONE\) has value "Europe\/Atlantis": expected a valid iana-timezone/,
  },
  { name: 'bad gateway id', file: { gatewayId: 'has space' }, expect: /'gatewayId' has value "has space"/ },
  {
    name: 'wrong type for a section',
    file: { ble: true },
    expect: /'ble' has value true: expected a value of type object/,
  },
];

for (const c of invalid) {
  test(`invalid configuration is refused with key, value and expectation: ${c.name}`, (t) => {
    const { dir, cleanup } = tempDir();
    t.after(cleanup);
    let file: string | undefined;
    if (c.file !== undefined) {
      file = path.join(dir, 'c.json');
      fs.writeFileSync(file, JSON.stringify(c.file));
    }
    assert.throws(
      () => loadConfig({ file, env: c.env ?? {} }),
      (err: unknown) => err instanceof ConfigError && c.expect.test(err.message),
    );
  });
}

test('a configuration file that is not JSON, or missing, names the file', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const file = path.join(dir, 'broken.json');
  fs.writeFileSync(file, '{ "hddt": ');
  assert.throws(() => loadConfig({ file, env: {} }), /broken\.json is not valid JSON/);
  assert.throws(
    () => loadConfig({ file: path.join(dir, 'nope.json'), env: {} }),
    /cannot read configuration file .*nope\.json/,
  );
  fs.writeFileSync(file, '[1,2]');
  assert.throws(() => loadConfig({ file, env: {} }), /must hold a JSON object/);
});
