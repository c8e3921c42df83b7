// `certs dev` prints, and writes as DIR/hddt-gateway.json, the configuration that points the server's TLS
// files and DiGA directory at what it made: loading that file finds them, wherever the command runs from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../config/load.ts';
import { createServices } from '../../server/start.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

test('certs dev writes and prints the config lines for server.tls and server.directory.source', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const out = path.join(dir, 'certs');
  const r = runCli(['certs', 'dev', '--out', out, '--clients', '1']);
  assert.equal(r.status, 0, r.stderr);

  const file = path.join(out, 'hddt-gateway.json');
  assert.ok(r.stdout.includes(`config:    ${file}`), r.stdout);
  assert.ok(r.stdout.includes(`run --config ${file}`), 'says how to use it');
  const printed = JSON.parse(r.stdout.slice(r.stdout.indexOf('\n{') + 1)) as unknown;
  const written = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  assert.deepEqual(printed, written, 'the printed lines are the file');

  // Loaded from another working directory, with its data directory elsewhere: the paths still hold.
  const config = loadConfig({ file, env: { HDDT_DATA_DIR: path.join(dir, 'data') }, cwd: '/' });
  assert.equal(config.server.enabled, true);
  assert.equal(config.server.directory.source, path.join(out, 'diga-directory.json'));
  assert.equal(config.server.tls.certFile, path.join(out, 'server.crt'));
  assert.equal(config.server.tls.keyFile, path.join(out, 'server.key'));
  const cert = new X509Certificate(fs.readFileSync(config.server.tls.certFile));
  assert.match(cert.subjectAltName ?? '', /DNS:localhost/);
  assert.ok(fs.readFileSync(config.server.tls.keyFile, 'utf8').includes('PRIVATE KEY'));

  const services = await createServices(config, { logger: pino({ level: 'silent' }) });
  t.after(() => {
    services.directory.stop();
    services.store.close();
  });
  const entry = await services.directory.lookup('urn:diga:bfarm:10001');
  assert.equal(entry?.status, 'active', 'the server reads the directory the command made');
});
