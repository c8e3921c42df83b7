// `hddt-gateway consume`: a bad configuration exits 2 with one line; a real run against Mosquitto fills its
// store from a hub's publisher and stops cleanly on SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { openStore } from '../../gateway/store/store.ts';
import { Publisher } from '../../gateway/sync/publisher.ts';
import { runCli, spawnCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';
import { Broker } from '../gateway/sync/fixtures/broker.ts';
import {
  differences,
  makePlan,
  openGatewayStore,
  publisherOptions,
  waitFor,
  writePhase,
} from '../gateway/sync/fixtures/sync-env.ts';

test('consume: invalid configuration exits 2 with a one-line reason', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const r = runCli(['consume'], { HDDT_DATA_DIR: dir, HDDT_MQTT__FORMAT: 'xml' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /mqtt\.format/);
  const missing = runCli(['consume'], { HDDT_DATA_DIR: dir, HDDT_MQTT__PASSWORD_FILE: 'nope.txt' });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot read .*nope\.txt/);
});

test('consume: fills its store from a hub and stops on SIGTERM', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const broker = new Broker({ dir: path.join(dir, 'broker') });
  t.after(() => broker.stop('SIGKILL'));
  await broker.start();
  const recorderFile = path.join(dir, 'rec', 'recorder.sqlite');
  const config = path.join(dir, 'config.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      dataDir: dir,
      log: { level: 'warn' },
      mqtt: {
        url: broker.url,
        consumer: { clientId: 'cli-recorder', ackIntervalMs: 50, heartbeatMs: 200 },
      },
    }),
  );
  const child = spawnCli(['consume', '--config', config, '--store', recorderFile]);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  t.after(() => child.kill('SIGKILL'));
  await waitFor('consumer session', () => broker.log().includes('as cli-recorder'), 30_000);

  const hub = openGatewayStore(path.join(dir, 'hub.sqlite'));
  t.after(() => hub.close());
  writePhase(hub, makePlan(7, 1), 0);
  const publisher = new Publisher(hub, publisherOptions('hub-cli', broker.url));
  t.after(() => publisher.stop());
  publisher.start();
  const recorder = openStore({ path: recorderFile, readonly: true });
  t.after(() => recorder.close());
  await waitFor('recorder to match', () => differences('hub-cli', hub, recorder).length === 0, 30_000);
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0, stderr);
});
