// Configuration files of the wrong shape: every one stops start-up with a clean message naming the key —
// loadConfig() throws a ConfigError for each case, and the real `hddt-gateway run --config FILE` (a few of the
// cases: a CLI start costs seconds) exits 2 with that message and no stack trace; nothing is started.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../config/load.ts';
import { spawnCli, type CliResult } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

const tmp = tempDir('hddt-config-types-');
after(() => tmp.cleanup());

function run(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    // A configuration that wrongly passes would start the gateway: stop it, the assertions then fail.
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

const dataDir = path.join(tmp.dir, 'data');

/** [what the file holds, the key the message must name] */
const CASES: Array<[Record<string, unknown>, string]> = [
  [{ server: { port: '8443' } }, 'server.port'],
  [{ server: { port: 70_000 } }, 'server.port'],
  [{ server: { enabled: 'yes' } }, 'server.enabled'],
  [{ server: { tls: 42 } }, 'server.tls'],
  [{ server: { rateLimit: { max: 1.5 } } }, 'server.rateLimit.max'],
  [{ server: { fhir: { maxCount: '500' } } }, 'server.fhir.maxCount'],
  [{ server: { oauth: { accessTokenSeconds: null } } }, 'server.oauth.accessTokenSeconds'],
  [{ hddt: { chunkMinutes: 'x' } }, 'hddt.chunkMinutes'],
  [{ hddt: { historicDataPeriodDays: { cgm: [30] } } }, 'hddt.historicDataPeriodDays.cgm'],
  [{ ble: { enabled: 1 } }, 'ble.enabled'],
  [{ ble: { uartBaudRate: '1000000' } }, 'ble.uartBaudRate'],
  [{ mqtt: { qos: 5 } }, 'mqtt.qos'],
  [{ mqtt: { tls: { rejectUnauthorized: 'false' } } }, 'mqtt.tls.rejectUnauthorized'],
  [{ log: { level: 3 } }, 'log.level'],
  [{ gatewayId: ['hub'] }, 'gatewayId'],
  [{ store: 'hddt.sqlite' }, 'store'],
];

/** At most two CLI processes at a time. */
async function runAll(
  argsList: Array<{ args: string[]; env?: Record<string, string> }>,
): Promise<CliResult[]> {
  const out: CliResult[] = [];
  let next = 0;
  const worker = async () => {
    while (next < argsList.length) {
      const i = next++;
      out[i] = await run(argsList[i]!.args, argsList[i]!.env);
    }
  };
  await Promise.all([worker(), worker()]);
  return out;
}

const caseFile = (i: number) => {
  const file = path.join(tmp.dir, `case-${i}.json`);
  fs.writeFileSync(file, JSON.stringify({ dataDir, ...CASES[i]![0] }));
  return file;
};

test('wrong types in a configuration file: a ConfigError naming the key', () => {
  CASES.forEach(([content, key], i) => {
    assert.throws(
      () => loadConfig({ file: caseFile(i), env: {} }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError, `${JSON.stringify(content)}: ${String(err)}`);
        assert.match(err.message, new RegExp(`'${key.replace(/\./g, '\\.')}'`), JSON.stringify(content));
        return true;
      },
    );
  });
});

test(
  'wrong types through the real CLI: exit 2, the key named, no stack trace',
  { timeout: 240_000 },
  async () => {
    const picked = [0, 7, 11, 14];
    const results = await runAll(picked.map((i) => ({ args: ['run', '--config', caseFile(i)] })));
    results.forEach((r, j) => {
      const [content, key] = CASES[picked[j]!]!;
      const what = `${JSON.stringify(content)}: ${r.stderr}`;
      assert.equal(r.status, 2, what);
      assert.match(r.stderr, new RegExp(`'${key.replace(/\./g, '\\.')}'`), what);
      assert.doesNotMatch(r.stderr, /\n\s+at /, `no stack trace: ${what}`);
      assert.equal(r.stdout, '', what);
    });
    assert.equal(fs.existsSync(dataDir), false, 'nothing was started');
  },
);

test(
  'unreadable, non-JSON and non-object configuration files, and wrong types from the environment: exit 2',
  { timeout: 240_000 },
  async () => {
    const notJson = path.join(tmp.dir, 'not.json');
    fs.writeFileSync(notJson, '{ "server": { "port": 8443, } ');
    const array = path.join(tmp.dir, 'array.json');
    fs.writeFileSync(array, '[1, 2]');
    const invalidUtf8 = path.join(tmp.dir, 'utf8.json');
    fs.writeFileSync(invalidUtf8, Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]));
    const ok = path.join(tmp.dir, 'ok.json');
    fs.writeFileSync(ok, JSON.stringify({ dataDir }));
    const [a, b, c, d, e] = await runAll([
      { args: ['run', '--config', path.join(tmp.dir, 'missing.json')] },
      { args: ['run', '--config', notJson] },
      { args: ['run', '--config', array] },
      { args: ['run', '--config', invalidUtf8] },
      { args: ['run', '--config', ok], env: { HDDT_HDDT__CHUNK_MINUTES: '"sixty"' } },
    ]);
    for (const [r, re] of [
      [a, /cannot read configuration file/],
      [b, /not valid JSON/],
      [c, /must hold a JSON object/],
      [d, /invalid configuration/],
      [e, /'hddt\.chunkMinutes' \(from HDDT_HDDT__CHUNK_MINUTES\)/],
    ] as const) {
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, re);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
    assert.equal(fs.existsSync(dataDir), false, 'nothing was started');
  },
);
