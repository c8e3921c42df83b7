// `hddt-gateway run` with BLE over a virtual controller: records reach the store, and Ctrl-C (SIGINT)
// stops cleanly with exit 0 although noble's HCI binding has its own SIGINT handler that would exit(1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { parseScenario, startSimulation } from '../../firmware-bridge/peripherals/index.ts';
import { openStore } from '../../gateway/store/store.ts';
import { countReadings } from '../../gateway/store/readings.ts';
import { spawnCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

test('run with BLE stores a meter backfill, and SIGINT exits 0 after a clean stop', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const sim = await startSimulation(
    parseScenario({
      peripherals: [
        {
          kind: 'glucose',
          address: 'c0:aa:bb:cc:dd:01',
          name: 'Sim Meter',
          serial: 'BGM0000042',
          unit: 'kg/L',
          history: { count: 20, spacingMinutes: 60, end: new Date(Date.now() - 60_000).toISOString() },
        },
      ],
    }),
  );
  t.after(() => sim.close());
  const config = path.join(dir, 'config.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      dataDir: path.join(dir, 'data'),
      ble: { enabled: true, driver: 'uart', uartPort: sim.ptyPath, allowList: ['c0:aa:bb:cc:dd:01'] },
      operator: { port: 0 },
    }),
  );
  const child = spawnCli(['run', '--config', config]);
  let log = '';
  child.stderr!.on('data', (d) => (log += d));
  t.after(() => child.kill('SIGKILL'));
  const store = () => openStore({ path: path.join(dir, 'data', 'hddt.sqlite'), readonly: true });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no records stored: ${log}`);
    // the store file exists before its migrations commit; once the gateway says it runs, the schema is there
    if (log.includes('gateway running')) {
      const s = store();
      const n = countReadings(s);
      s.close();
      if (n === 20) break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGINT');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, log.split('\n').slice(-5).join('\n'));
  assert.match(log, /"signal":"SIGINT".*"msg":"stopping"/);
});
