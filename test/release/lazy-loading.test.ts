// Start-up cost: a command loads only its own module (`--help` loads none), and `run` loads only the parts
// the configuration enables. Checked by recording every module the real command loads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN, ROOT } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

const TRACE = fileURLToPath(new URL('./fixtures/trace-loads.mjs', import.meta.url));

/** Project modules (path without extension, dist/ or sources alike) and packages the command loaded. */
function loaded(file: string): { own: Set<string>; packages: Set<string> } {
  const own = new Set<string>();
  const packages = new Set<string>();
  for (const url of fs.readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const p = fileURLToPath(url);
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(p);
    if (pkg) packages.add(pkg[1]);
    else if (p.startsWith(ROOT))
      own.add(
        path
          .relative(ROOT, p)
          .replace(/^dist\//, '')
          .replace(/\.[jt]s$/, ''),
      );
  }
  return { own, packages };
}

function traced(args: string[], dir: string) {
  const trace = path.join(dir, `trace-${args[0]}.txt`);
  fs.writeFileSync(trace, '');
  const r = spawnSync(process.execPath, ['--import', TRACE, BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, TRACE_FILE: trace },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { ...r, ...loaded(trace) };
}

const HEAVY = ['fastify', '@stoprocent/noble', 'serialport', 'better-sqlite3', 'mqtt', 'ajv', 'pino'];

test('--help lists every command without loading any command module', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const r = traced(['--help'], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^ {2}run \[options\] +start the gateway/m);
  const commandModules = [...r.own].filter(
    (m) => m.startsWith('bin/commands/') && m !== 'bin/commands/index',
  );
  assert.deepEqual(commandModules, []);
  assert.deepEqual(
    [...r.packages].filter((p) => p !== 'commander' && p !== 'tsx' && p !== 'esbuild'),
    [],
  );
});

test('decode loads its own module and no driver stack, server, store or broker client', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const r = traced(['decode', 'glucose-feature', '0004'], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.own.has('bin/commands/decode'));
  assert.deepEqual(
    [...r.own].filter(
      (m) => m.startsWith('bin/commands/') && !/^bin\/commands\/(index|decode|common)/.test(m),
    ),
    [],
  );
  for (const p of HEAVY.filter((p) => p !== 'ajv')) assert.ok(!r.packages.has(p), p);
});

test('run loads only the enabled parts: no BLE, serial or MQTT code on the default configuration', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const trace = path.join(dir, 'trace-run.txt');
  fs.writeFileSync(trace, '');
  const child = spawn(process.execPath, ['--import', TRACE, BIN, 'run'], {
    cwd: ROOT,
    env: {
      ...process.env,
      TRACE_FILE: trace,
      HDDT_DATA_DIR: path.join(dir, 'data'),
      HDDT_OPERATOR__PORT: '0',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  let log = '';
  child.stderr.on('data', (d) => (log += d));
  const deadline = Date.now() + 60_000;
  while (!log.includes('gateway running')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no start: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGTERM');
  assert.equal((await once(child, 'exit'))[0], 0);
  const { own, packages } = loaded(trace);
  assert.ok(own.has('wiring/operator'), 'the operator part (enabled by default) loads');
  for (const p of ['@stoprocent/noble', 'serialport', 'mqtt']) assert.ok(!packages.has(p), p);
  for (const m of ['wiring/ble', 'wiring/serial', 'wiring/sync', 'wiring/server']) assert.ok(!own.has(m), m);
});
