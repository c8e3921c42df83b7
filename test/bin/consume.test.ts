// `hddt-gateway consume`: a bad configuration exits 2 with one line; a real run against Mosquitto fills its
// store from a hub's publisher and stops cleanly on SIGTERM; with --serve the HDDT FHIR server (mTLS, Bearer)
// serves what it consumed: the hub's Observations, byte for byte, to a DiGA paired with the hub's patient.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import https from 'node:https';
import { loadConfig } from '../../config/load.ts';
import { bgSeries, cgmSeries } from '../../firmware-bridge/synthetic-readings.ts';
import { ingest } from '../../gateway/ingest/pipeline.ts';
import { addPatient, assignDevice, getPatientByUsername } from '../../gateway/store/patients.ts';
import { MIV_CODES } from '../../gateway/hddt/codes.ts';
import { getResource, listResources, writeResourceRow } from '../../gateway/store/resources.ts';
import { openStore } from '../../gateway/store/store.ts';
import { patientHandle } from '../../gateway/sync/outbox-writer.ts';
import { Publisher } from '../../gateway/sync/publisher.ts';
import { generateDevCertificates } from '../../server/dev-certs.ts';
import { issueTestTokens } from '../../bench/rigs/tokens.ts';
import { createServices } from '../../server/start.ts';
import { runCli, spawnCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';
import { Broker, freePort } from '../../bench/rigs/broker.ts';
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

test('consume --serve: the HDDT server answers with what the consumer stored', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const broker = new Broker({ dir: path.join(dir, 'broker') });
  t.after(() => broker.stop('SIGKILL'));
  await broker.start();
  const dataDir = path.join(dir, 'rec');
  const certs = await generateDevCertificates({ outDir: path.join(dataDir, 'certs'), clients: 1 });
  fs.mkdirSync(path.join(dataDir, 'tls'), { recursive: true });
  fs.copyFileSync(certs.serverCertFile, path.join(dataDir, 'tls/server.crt'));
  fs.copyFileSync(certs.serverKeyFile, path.join(dataDir, 'tls/server.key'));
  const port = await freePort();
  const overrides = {
    dataDir,
    log: { level: 'warn' as const },
    operator: { enabled: false },
    // this machine runs no time daemon the gateway can ask; the purge below needs a clock it may trust
    ble: { hubClock: 'trusted' as const },
    server: {
      host: '127.0.0.1',
      port,
      issuer: `https://localhost:${port}`,
      directory: { source: certs.directoryFile, cacheSeconds: 3600 },
    },
    mqtt: {
      url: broker.url,
      consumer: { clientId: 'cli-serve-recorder', ackIntervalMs: 50, heartbeatMs: 200 },
    },
  };
  const configFile = path.join(dir, 'config.json');
  fs.writeFileSync(configFile, JSON.stringify(overrides));
  const recorderFile = path.join(dataDir, 'recorder.sqlite');
  // A blood glucose Observation the recorder got long ago, now past the historic data period: serving HDDT,
  // the recorder purges it like a hub would.
  const expiredId = 'expired-bg-observation';
  const seeded = openStore({ path: recorderFile });
  const longAgo = Date.now() - 400 * 86_400_000;
  writeResourceRow(seeded, {
    type: 'Observation',
    id: expiredId,
    version: 1,
    last_updated_ms: longAgo,
    device_key: 'ble:bg-serve',
    code: MIV_CODES.bloodGlucose[0]!,
    effective_start_ms: longAgo,
    effective_end_ms: longAgo,
    value: 99,
    unit: 'mg/dL',
    ref: null,
    status: 'final',
    json: JSON.stringify({ resourceType: 'Observation', id: expiredId }),
  });
  seeded.close();
  const child = spawnCli(['consume', '--serve', '--config', configFile, '--store', recorderFile]);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  t.after(() => child.kill('SIGKILL'));
  await waitFor('consumer session', () => broker.log().includes('as cli-serve-recorder'), 30_000);

  // A hub with a CGM and a meter, both assigned to one patient, inside the historic data period.
  const hub = openGatewayStore(path.join(dir, 'hub.sqlite'));
  t.after(() => hub.close());
  const start = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 86_400_000);
  ingest(hub, cgmSeries({ deviceKey: 'ble:cgm-serve', sessionStart: start, count: 300, intervalMinutes: 5 }));
  ingest(hub, bgSeries({ deviceKey: 'ble:bg-serve', start, days: 2 }));
  const patient = addPatient(hub, 'serve-patient', Date.now());
  for (const key of ['ble:cgm-serve', 'ble:bg-serve']) assignDevice(hub, key, patient.id, Date.now());
  const publisher = new Publisher(hub, publisherOptions('hub-serve', broker.url));
  t.after(() => publisher.stop());
  publisher.start();
  const recorder = openStore({ path: recorderFile });
  t.after(() => recorder.close());
  await waitFor('recorder to match', () => differences('hub-serve', hub, recorder).length === 0, 30_000);

  // A DiGA paired with the recorder's patient (created by the consumer under the hub's handle).
  const recPatient = getPatientByUsername(recorder, `hub-serve/${patientHandle(hub, patient.id)}`);
  assert.ok(recPatient, 'the consumer created the patient');
  const services = await createServices(loadConfig({ env: {}, overrides }), { store: recorder });
  const client = certs.clients[0]!;
  const { accessToken } = await issueTestTokens(services, {
    clientId: client.clientId,
    patientId: recPatient.id,
    mivs: ['bloodGlucose', 'cgm'],
  });
  const agent = new https.Agent({ ca: certs.caCertPem, cert: client.certPem, key: client.keyPem });
  t.after(() => agent.destroy());
  const get = (url: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      https
        .get(url, { agent, headers: { authorization: `Bearer ${accessToken}` } }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          res.on('error', reject);
        })
        .on('error', reject);
    });
  const base = `https://localhost:${port}/fhir`;
  // The server part may still be starting: wait until it answers at all.
  for (const deadline = Date.now() + 30_000; ;) {
    const ok = await get(`${base}/metadata`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    assert.ok(Date.now() < deadline, `the HTTPS server never answered: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const served = new Map<string, string>();
  for (let url: string | undefined = `${base}/Observation?_count=100`; url;) {
    const page = await get(url);
    assert.equal(page.status, 200, page.body.slice(0, 300));
    const bundle = JSON.parse(page.body) as {
      entry?: Array<{ resource: { id: string } }>;
      link?: Array<{ relation: string; url: string }>;
    };
    for (const e of bundle.entry ?? []) served.set(e.resource.id, JSON.stringify(e.resource));
    url = bundle.link?.find((l) => l.relation === 'next')?.url;
  }
  assert.equal(getResource(recorder, 'Observation', expiredId), undefined, 'purged: past the period');
  const expected = listResources(hub, 'Observation');
  assert.ok(expected.length > 10);
  assert.deepEqual([...served.keys()].sort(), expected.map((r) => r.id).sort());
  const one = expected[expected.length - 1]!;
  const read = await get(`${base}/Observation/${one.id}`);
  assert.equal(read.status, 200);
  assert.deepEqual(JSON.parse(read.body), JSON.parse(one.json));
  // Without a token the resource server refuses, as HDDT asks (401, not 403).
  const anonymous = await new Promise<number>((resolve, reject) => {
    https.get(`${base}/Observation`, { agent }, (res) => resolve(res.statusCode ?? 0)).on('error', reject);
  });
  assert.equal(anonymous, 401);

  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /"level":50/);
});
