// `hddt-gateway run` with serial.enabled: a simulated meter on a configured pty line is dumped into the store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { createMeterPty } from '../../../firmware-bridge/meters/pty-pair.ts';
import { syntheticRecords } from '../../../firmware-bridge/meters/scenario.ts';
import { startMeter } from '../../../firmware-bridge/meters/simulator.ts';
import { openStore } from '../../../gateway/store/store.ts';
import { listReadings } from '../../../gateway/store/readings.ts';
import { listResources } from '../../../gateway/store/resources.ts';
import { spawnCli } from '../../helpers/cli.ts';
import { tempDir } from '../../helpers/tmp.ts';

test('run with serial.enabled dumps a meter on a configured line into the store, once', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const pty = await createMeterPty({ dir, names: { meter: 'meter-end', gateway: 'ttyMETER' } });
  t.after(() => pty.close());
  // meter clock in UTC, newest record an hour ago: inside the historic data period
  const newest = `${new Date(Date.now() - 3_600_000).toISOString().slice(0, 16)}:00`; // meters keep minutes
  const meter = await startMeter(
    {
      protocol: 'astm',
      serial: '7410-7654321',
      unit: 'mg/dL',
      clock: new Date().toISOString().slice(0, 19),
      records: syntheticRecords(40, { newest, stepMinutes: 180 }),
    },
    { path: pty.meterPath },
  );
  t.after(() => meter.stop());
  const config = path.join(dir, 'config.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      dataDir: path.join(dir, 'data'),
      serial: {
        enabled: true,
        meters: [{ protocol: 'astm', path: path.join(dir, 'ttyMETER') }],
        knownCables: false,
        pollMs: 200,
        timezone: 'UTC',
      },
      operator: { port: 0 },
    }),
  );
  const child = spawnCli(['run', '--config', config]);
  let log = '';
  child.stderr!.on('data', (d) => (log += d));
  t.after(() => child.kill('SIGKILL'));
  const deadline = Date.now() + 60_000;
  while (!log.includes('meter dumped')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no dump: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
  const summary = JSON.parse(log.split('\n').find((l) => l.includes('meter dumped'))!);
  assert.equal(summary.read, 40);
  assert.equal(summary.stored, 40);
  assert.equal(summary.device, 'serial:astm:7410-7654321');
  const store = openStore({ path: path.join(dir, 'data', 'hddt.sqlite') });
  t.after(() => store.close());
  const readings = listReadings(store, 'serial:astm:7410-7654321');
  assert.equal(readings.length, 40);
  assert.equal(readings.at(-1)!.effectiveAt, `${newest}.000Z`);
  assert.equal(
    listResources(store, 'Observation').length,
    40 - readings.filter((r) => r.controlSolution).length,
  );
});
