// `hddt-gateway dump` as a real child process against a simulated meter on a pty.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createMeterPty } from '../../firmware-bridge/meters/pty-pair.ts';
import { syntheticRecords } from '../../firmware-bridge/meters/scenario.ts';
import { startMeter } from '../../firmware-bridge/meters/simulator.ts';
import { utcToLocalTime } from '../../drivers/serial/local-time.ts';
import { openStore } from '../../gateway/store/store.ts';
import { listReadings } from '../../gateway/store/readings.ts';
import { spawnCli, type CliResult } from '../helpers/cli.ts';

function run(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

test('dump: summary line, records in the store; invalid input exits 2 with one line', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dump-cli-'));
  const pty = await createMeterPty();
  // 110 records of the last days and 10 older than the 30-day historic data period
  const now = Date.now();
  const local = (ms: number) => utcToLocalTime(new Date(ms), 'Europe/Berlin');
  const records = [
    ...syntheticRecords(110, {
      newest: local(now - 3_600_000),
      stepMinutes: 60,
      controlEvery: 10,
      flagEvery: 17,
    }),
    ...syntheticRecords(10, { newest: local(now - 40 * 86_400_000), stepMinutes: 60, seed: 3 }),
  ];
  const meter = await startMeter(
    {
      protocol: 'onetouch-ultra2',
      serial: 'ABCDEFGHY',
      unit: 'mg/dL',
      clock: local(now),
      records,
    },
    { path: pty.meterPath },
  );
  t.after(async () => {
    await meter.stop();
    await pty.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const db = path.join(dir, 'g.db');
  const base = ['dump', '--port', pty.gatewayPath, '--protocol', 'onetouch-ultra2', '--db', db];
  const [ok, badZone, badProtocol] = await Promise.all([
    run([...base, '--timezone', 'Europe/Berlin', '--timeout-ms', '1000']),
    run([...base, '--timezone', 'Mars/Olympus']),
    run(['dump', '--port', pty.gatewayPath, '--protocol', 'dexcom', '--db', db]),
  ]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(
    ok.stdout,
    'serial:onetouch-ultra2:ABCDEFGHY: read 120, stored 110, duplicate 0, expired 10, rejected 0\n',
  );
  for (const [r, why] of [
    [badZone, /unknown time zone "Mars\/Olympus"/],
    [badProtocol, /unknown protocol "dexcom"/],
  ] as const) {
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, why);
  }
  const store = openStore({ path: db });
  try {
    const rows = listReadings(store, 'serial:onetouch-ultra2:ABCDEFGHY');
    assert.equal(rows.length, 110);
    assert.equal(rows.filter((r) => r.controlSolution).length, 11);
  } finally {
    store.close();
  }
  const again = await run([...base, '--json']);
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(JSON.parse(again.stdout), {
    device: 'serial:onetouch-ultra2:ABCDEFGHY',
    read: 120,
    stored: 0,
    duplicates: 110,
    expired: 10,
    rejected: 0,
    error: null,
  });
});
