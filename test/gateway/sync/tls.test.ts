// TLS against a real Mosquitto: server certificate from our own CA, client certificate required, username and
// password from a password file. A wrong password or a missing client certificate never connects, and no
// secret shows up in the log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { openStore } from '../../../gateway/store/store.ts';
import { Consumer } from '../../../gateway/sync/consumer.ts';
import type { BrokerConnection } from '../../../gateway/sync/connection.ts';
import { Publisher } from '../../../gateway/sync/publisher.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { Broker } from '../../../bench/rigs/broker.ts';
import {
  consumerOptions,
  differences,
  makePlan,
  openGatewayStore,
  publisherOptions,
  sleep,
  waitFor,
  writePhase,
} from './fixtures/sync-env.ts';

function openssl(cwd: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: 'ignore' });
}

/** CA, server certificate for 127.0.0.1, and one client certificate, all EC P-256. */
function makePki(dir: string): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    dir,
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=test-ca',
  );
  for (const [name, ext] of [
    ['server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth'],
    ['client', 'extendedKeyUsage=clientAuth'],
  ]) {
    fs.writeFileSync(path.join(dir, `${name}.ext`), ext + '\n');
    openssl(dir, 'req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    openssl(
      dir,
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    );
  }
}

test('mutual TLS with username and password: data flows; a wrong password never connects and is never logged', async (t) => {
  const { dir, cleanup } = tempDir('hddt-mqtt-tls-');
  t.after(cleanup);
  makePki(dir);
  const pwfile = path.join(dir, 'passwd');
  execFileSync('mosquitto_passwd', ['-b', '-c', pwfile, 'hub-a', 'right-horse-battery'], { stdio: 'ignore' });
  execFileSync('mosquitto_passwd', ['-b', pwfile, 'recorder', 'recorder-pass'], { stdio: 'ignore' });
  fs.chmodSync(pwfile, 0o600);
  const broker = new Broker({
    dir: path.join(dir, 'broker'),
    listenerLines: [
      `cafile ${path.join(dir, 'ca.crt')}`,
      `certfile ${path.join(dir, 'server.crt')}`,
      `keyfile ${path.join(dir, 'server.key')}`,
      'require_certificate true',
      'tls_version tlsv1.2',
      'allow_anonymous false',
      `password_file ${pwfile}`,
    ],
  });
  t.after(() => broker.stop('SIGKILL'));
  await broker.start();
  const url = `mqtts://127.0.0.1:${broker.port}`;
  const tls = (user: string, password: string, withCert = true): BrokerConnection => ({
    url,
    clientId: `c-${user}-${password.length}-${withCert}`,
    keepaliveSeconds: 5,
    connectTimeoutMs: 2000,
    reconnect: { minMs: 20, maxMs: 200 },
    ca: fs.readFileSync(path.join(dir, 'ca.crt')),
    ...(withCert
      ? {
          cert: fs.readFileSync(path.join(dir, 'client.crt')),
          key: fs.readFileSync(path.join(dir, 'client.key')),
        }
      : {}),
    rejectUnauthorized: true,
    username: user,
    password,
  });

  const recorder = openStore({ path: path.join(dir, 'rec.sqlite') });
  t.after(() => recorder.close());
  const consumer = new Consumer(
    recorder,
    consumerOptions(url, { connection: tls('recorder', 'recorder-pass') }),
  );
  t.after(() => consumer.stop());
  consumer.start();
  await waitFor('consumer over TLS', () => consumer.stats().connected);

  const hub = openGatewayStore(path.join(dir, 'hub.sqlite'));
  t.after(() => hub.close());
  writePhase(hub, makePlan(42, 1), 0);

  const chunks: string[] = [];
  const log = pino(
    { level: 'debug' },
    new Writable({
      write(c: Buffer, _e, cb) {
        chunks.push(c.toString());
        cb();
      },
    }),
  );
  for (const bad of [tls('hub-a', 'wrong-horse-battery'), tls('hub-a', 'right-horse-battery', false)]) {
    const p = new Publisher(hub, publisherOptions('hub-a', url, { connection: bad, log }));
    p.start();
    await sleep(400);
    assert.equal(p.isConnected, false);
    assert.equal(p.metrics().connects, 0);
    await p.stop();
  }
  const publisher = new Publisher(
    hub,
    publisherOptions('hub-a', url, { connection: tls('hub-a', 'right-horse-battery'), log }),
  );
  t.after(() => publisher.stop());
  publisher.start();
  await waitFor('recorder to match', () => differences('hub-a', hub, recorder).length === 0);
  const logged = chunks.join('');
  assert.match(logged, /broker connection error/);
  for (const secret of ['wrong-horse-battery', 'right-horse-battery', 'recorder-pass', 'PRIVATE KEY']) {
    assert.ok(!logged.includes(secret), `log must not contain ${secret}`);
  }
});
