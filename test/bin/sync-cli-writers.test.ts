// Every change reaches the recorder, whichever process made it: `import`, `dump`, `device assign|unassign` and
// `patient remove` run as their own processes beside a running gateway that syncs over a real Mosquitto, and
// the recorder ends up with exactly what the hub serves (resources, versions, assignment periods). Then a hub
// whose changes were written with sync off (as by an earlier version) sends them on its next start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { createMeterPty } from '../../firmware-bridge/meters/pty-pair.ts';
import { syntheticRecords } from '../../firmware-bridge/meters/scenario.ts';
import { startMeter } from '../../firmware-bridge/meters/simulator.ts';
import { utcToLocalTime } from '../../drivers/serial/local-time.ts';
import { bgSeries, cgmSeries } from '../../firmware-bridge/synthetic-readings.ts';
import { allPeriods } from '../../gateway/store/assignments.ts';
import { listReadings } from '../../gateway/store/readings.ts';
import { openStore, type Store } from '../../gateway/store/store.ts';
import { Consumer } from '../../gateway/sync/consumer.ts';
import { runCli, spawnCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';
import { Broker } from '../../bench/rigs/broker.ts';
import { consumerOptions, differences, waitFor } from '../gateway/sync/fixtures/sync-env.ts';

const GW = 'hub-cli';
const NOW = Date.now();

interface Rig {
  dir: string;
  config: string;
  recorder: Store;
  broker: Broker;
}

async function rig(t: { after: (fn: () => unknown) => void }, sync: boolean): Promise<Rig> {
  const { dir, cleanup } = tempDir('hddt-cli-sync-');
  t.after(cleanup);
  const broker = new Broker({ dir: path.join(dir, 'broker') });
  t.after(() => broker.stop('SIGKILL'));
  await broker.start();
  const config = path.join(dir, 'config.json');
  writeConfig(config, dir, broker.url, sync);
  const recorder = openStore({ path: path.join(dir, 'recorder.sqlite') });
  t.after(() => recorder.close());
  const consumer = new Consumer(recorder, consumerOptions(broker.url));
  t.after(() => consumer.stop());
  consumer.start();
  await waitFor('recorder session', () => broker.log().includes('as recorder-1'), 30_000);
  return { dir, config, recorder, broker };
}

function writeConfig(file: string, dir: string, url: string, sync: boolean): void {
  fs.writeFileSync(
    file,
    JSON.stringify({
      gatewayId: GW,
      dataDir: path.join(dir, 'hub'),
      log: { level: 'info' },
      operator: { enabled: false },
      mqtt: { enabled: sync, url, ack: { resendAfterMs: 500 } },
    }),
  );
}

async function startGateway(
  t: { after: (fn: () => unknown) => void },
  config: string,
): Promise<ChildProcess> {
  const child = spawnCli(['run', '--config', config]);
  t.after(() => child.kill('SIGKILL'));
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await waitFor(`gateway running (${err})`, () => err.includes('gateway running'), 60_000);
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0);
}

function cli(args: string[], config: string, input?: string): string {
  const r = runCli([...args, '--config', config], {}, input);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function runAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function writeReadings(file: string): { cgm: string; bg: string; count: number } {
  const cgm = 'ble:c0:ff:ee:00:00:01';
  const bg = 'ble:c0:ff:ee:00:00:02';
  const start = new Date(NOW - 3 * 86_400_000);
  const readings = [
    ...cgmSeries({ deviceKey: cgm, sessionStart: start, count: 2000, intervalMinutes: 1, seed: 5 }),
    ...bgSeries({ deviceKey: bg, start, days: 3, perDay: 6, seed: 6 }),
  ];
  fs.writeFileSync(file, readings.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return { cgm, bg, count: readings.length };
}

/** What the hub serves, read from its file by this process while the gateway runs. */
function hubMatches(rig: Rig): string[] {
  const hub = openStore({ path: path.join(rig.dir, 'hub', 'hddt.sqlite'), readonly: true });
  try {
    return differences(GW, hub, rig.recorder);
  } finally {
    hub.close();
  }
}

test('import, dump, assign, unassign and patient removal beside a syncing gateway all reach the recorder', async (t) => {
  const r = await rig(t, true);
  const gateway = await startGateway(t, r.config);
  cli(['patient', 'add', 'alice', '--password-stdin'], r.config, 'correct-horse-battery\n');
  cli(['patient', 'add', 'bob', '--password-stdin'], r.config, 'correct-horse-battery\n');
  const file = path.join(r.dir, 'readings.jsonl');
  const { cgm, bg, count } = writeReadings(file);
  assert.match(cli(['import', file], r.config), new RegExp(`stored ${count}\\b`));
  cli(['device', 'assign', cgm, 'alice'], r.config);
  cli(['device', 'assign', bg, 'alice'], r.config);

  const pty = await createMeterPty();
  const meter = await startMeter(
    {
      protocol: 'onetouch-ultra2',
      serial: 'ABCDEFGHY',
      unit: 'mg/dL',
      clock: utcToLocalTime(new Date(), 'Europe/Berlin'),
      records: syntheticRecords(40, {
        newest: utcToLocalTime(new Date(Date.now() - 3_600_000), 'Europe/Berlin'),
        stepMinutes: 90,
      }),
    },
    { path: pty.meterPath },
  );
  t.after(async () => {
    await meter.stop();
    await pty.close();
  });
  // spawned, not spawnSync: the simulated meter answers from this process's event loop
  const dump = await runAsync([
    'dump',
    '--config',
    r.config,
    '--port',
    pty.gatewayPath,
    '--protocol',
    'onetouch-ultra2',
  ]);
  assert.equal(dump.status, 0, dump.stderr);
  assert.match(dump.stdout, /stored 40/);
  const meterKey = 'serial:onetouch-ultra2:ABCDEFGHY';

  cli(['device', 'assign', cgm, 'bob'], r.config);
  cli(['device', 'unassign', bg], r.config);
  cli(['device', 'assign', meterKey, 'alice'], r.config);
  cli(['patient', 'remove', 'alice'], r.config);

  let last: string[] = [];
  await waitFor('recorder to match the hub', () => (last = hubMatches(r)).length === 0, 60_000).catch(
    (err: Error) => assert.fail(`${err.message}: ${last.slice(0, 5).join('; ')}`),
  );
  // the CGM samples and the periods are all there, on the hub's and on the recorder's side
  const hub = openStore({ path: path.join(r.dir, 'hub', 'hddt.sqlite'), readonly: true });
  t.after(() => hub.close());
  assert.equal(listReadings(hub, cgm).length, 2000);
  const periods = allPeriods(hub).map((p) => [p.device_key, p.until_ms === null]);
  assert.deepEqual(periods, [
    [cgm, false],
    [cgm, true],
    [bg, false],
    [meterKey, false],
  ]);
  const recorded = r.recorder
    .prepare(
      'SELECT device_key, until_ms IS NULL AS open FROM device_assignment_periods ORDER BY device_key, from_ms',
    )
    .all() as Array<{ device_key: string; open: number }>;
  assert.deepEqual(
    recorded.map((p) => [p.device_key, p.open === 1]),
    periods.map(([k, open]) => [`${GW}/${k}`, open]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
  );
  await stop(gateway);
});

test('changes written with sync off (an earlier version, a writer without the config) are sent at the next start', async (t) => {
  const r = await rig(t, false);
  const file = path.join(r.dir, 'readings.jsonl');
  const { cgm, count } = writeReadings(file);
  cli(['patient', 'add', 'carol', '--password-stdin'], r.config, 'correct-horse-battery\n');
  assert.match(cli(['import', file], r.config), new RegExp(`stored ${count}\\b`));
  cli(['device', 'assign', cgm, 'carol'], r.config);
  // the same hub, now with sync on
  writeConfig(r.config, r.dir, r.broker.url, true);
  const gateway = await startGateway(t, r.config);
  let last: string[] = [];
  await waitFor('recorder to match the hub', () => (last = hubMatches(r)).length === 0, 60_000).catch(
    (err: Error) => assert.fail(`${err.message}: ${last.slice(0, 5).join('; ')}`),
  );
  assert.ok((r.recorder.prepare('SELECT COUNT(*) AS n FROM resources').get() as { n: number }).n > 50);
  await stop(gateway);
});
