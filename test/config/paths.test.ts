// One rule for every path of the configuration (config/paths.ts): dataDir against the folder of the file that
// sets it (else the working directory), every other path key against dataDir, from a file or an HDDT_* variable
// alike; absolute paths and URLs unchanged. And server.issuer follows server.port unless it is set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { configSchema, loadConfig } from '../../config/load.ts';
import { tempDir } from '../helpers/tmp.ts';

function writeConfig(dir: string, content: unknown): string {
  const file = path.join(dir, 'hddt.json');
  fs.writeFileSync(file, JSON.stringify(content));
  return file;
}

test('paths in a config file: dataDir against the file, every other path against dataDir', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const confDir = path.join(dir, 'etc');
  const elsewhere = path.join(dir, 'somewhere-else');
  fs.mkdirSync(confDir);
  fs.mkdirSync(elsewhere);
  const file = writeConfig(confDir, {
    dataDir: 'data',
    store: { file: 'db/hub.sqlite' },
    server: {
      tls: { certFile: 'tls/server.crt', keyFile: '/abs/server.key' },
      directory: { source: 'diga/directory.json', caFile: 'diga/ca.crt' },
      operatorApi: {
        clients: [
          { clientId: 'backend-1', certificateFile: 'clients/b1.pem', scopes: ['operator/devices.read'] },
        ],
      },
      fhir: { requestLog: { dir: 'logs/req' } },
    },
    operator: { tls: { certFile: 'op.crt', keyFile: 'op.key' } },
    mqtt: {
      tls: { caFile: 'mqtt/ca.crt', certFile: null, keyFile: null },
      passwordFile: 'mqtt/pw',
      consumer: { storeFile: 'rec.sqlite' },
    },
  });
  const c = loadConfig({ file, env: {}, cwd: elsewhere });
  const data = path.join(confDir, 'data');
  assert.equal(c.dataDir, data, 'relative to the config file, not to the working directory');
  assert.equal(c.store.file, path.join(data, 'db/hub.sqlite'));
  assert.equal(c.server.tls.certFile, path.join(data, 'tls/server.crt'));
  assert.equal(c.server.tls.keyFile, '/abs/server.key', 'absolute paths stay');
  assert.equal(c.server.directory.source, path.join(data, 'diga/directory.json'));
  assert.equal(c.server.directory.caFile, path.join(data, 'diga/ca.crt'));
  assert.equal(c.server.operatorApi?.clients?.[0]?.certificateFile, path.join(data, 'clients/b1.pem'));
  assert.equal(
    (c.server as unknown as { fhir: { requestLog: { dir: string } } }).fhir.requestLog.dir,
    path.join(data, 'logs/req'),
  );
  assert.deepEqual(c.operator.tls, {
    certFile: path.join(data, 'op.crt'),
    keyFile: path.join(data, 'op.key'),
  });
  assert.equal(c.mqtt.tls.caFile, path.join(data, 'mqtt/ca.crt'));
  assert.equal(c.mqtt.tls.certFile, null, 'null stays null');
  assert.equal(c.mqtt.passwordFile, path.join(data, 'mqtt/pw'));
  assert.equal(c.mqtt.consumer.storeFile, path.join(data, 'rec.sqlite'));
});

test('no config file: dataDir (default ./data) against the working directory, defaults inside it', () => {
  const cwd = path.join(path.sep, 'srv', 'hub');
  const c = loadConfig({ env: {}, cwd });
  assert.equal(c.dataDir, path.join(cwd, 'data'));
  assert.equal(c.store.file, path.join(cwd, 'data', 'hddt.sqlite'));
  assert.equal(c.server.tls.certFile, path.join(cwd, 'data', 'tls', 'server.crt'));
  assert.equal(
    c.server.directory.source,
    path.join(cwd, 'data', 'tls', 'diga-directory.json'),
    'where `certs dev --out <dataDir>/tls` writes the directory',
  );
});

test('a config file without dataDir: the default dataDir stays relative to the working directory', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const file = writeConfig(dir, { server: { tls: { certFile: 'mine.crt' } } });
  const cwd = path.join(dir, 'work');
  const c = loadConfig({ file, env: {}, cwd });
  assert.equal(c.dataDir, path.join(cwd, 'data'));
  assert.equal(c.server.tls.certFile, path.join(cwd, 'data', 'mine.crt'));
});

test('HDDT_* variables: HDDT_DATA_DIR against the working directory, path keys against dataDir', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const file = writeConfig(dir, { dataDir: 'from-file', server: { tls: { certFile: 'file.crt' } } });
  const cwd = path.join(dir, 'cwd');
  const c = loadConfig({
    file,
    cwd,
    env: {
      HDDT_DATA_DIR: 'from-env',
      HDDT_SERVER__TLS__KEY_FILE: 'env/server.key',
      HDDT_SERVER__DIRECTORY__SOURCE: 'env/directory.json',
      HDDT_MQTT__PASSWORD_FILE: '/run/secrets/mqtt',
    },
  });
  const data = path.join(cwd, 'from-env');
  assert.equal(c.dataDir, data, 'the variable wins over the file and is a shell path');
  assert.equal(
    c.server.tls.certFile,
    path.join(data, 'file.crt'),
    "the file's path key follows the final dataDir",
  );
  assert.equal(c.server.tls.keyFile, path.join(data, 'env/server.key'));
  assert.equal(c.server.directory.source, path.join(data, 'env/directory.json'));
  assert.equal(c.mqtt.passwordFile, '/run/secrets/mqtt');
  const absolute = loadConfig({ file, cwd, env: { HDDT_DATA_DIR: '/var/lib/hddt-gateway' } });
  assert.equal(absolute.dataDir, '/var/lib/hddt-gateway');
  assert.equal(absolute.store.file, '/var/lib/hddt-gateway/hddt.sqlite');
});

test('an https:// directory source is a URL, not a path; programmatic overrides are not modified', () => {
  const overrides = {
    dataDir: 'rel',
    server: {
      directory: { source: 'https://diga-vz.example/directory.json' },
      operatorApi: {
        clients: [{ clientId: 'backend-1', certificateFile: 'b1.pem', scopes: ['operator/devices.read'] }],
      },
    },
  };
  const before = JSON.stringify(overrides);
  const c = loadConfig({ env: {}, cwd: '/w', overrides });
  assert.equal(c.dataDir, '/w/rel');
  assert.equal(c.server.directory.source, 'https://diga-vz.example/directory.json');
  assert.equal(c.server.operatorApi?.clients?.[0]?.certificateFile, '/w/rel/b1.pem');
  assert.equal(JSON.stringify(overrides), before, "the caller's object is left as it was");
});

test('every path-like key of the schema is resolved against dataDir (relativeTo), so none escapes the rule', () => {
  const missing: string[] = [];
  // dataDir has its own base; serial meter `path`s are device nodes (/dev/ttyUSB0), not files of ours.
  const exempt = new Set(['dataDir', 'serial.meters[].path']);
  const looksLikePath = /(File|Dir|Path)$|^(file|dir|path|source)$/;
  const walk = (node: unknown, at: string) => {
    if (typeof node !== 'object' || node === null) return;
    const n = node as Record<string, unknown>;
    for (const k of ['oneOf', 'anyOf', 'allOf']) if (Array.isArray(n[k])) for (const b of n[k]) walk(b, at);
    if (n.items) walk(n.items, `${at}[]`);
    if (typeof n.properties === 'object' && n.properties !== null) {
      for (const [key, child] of Object.entries(n.properties as Record<string, unknown>)) {
        const where = at ? `${at}.${key}` : key;
        const c = child as Record<string, unknown>;
        const stringy = c.type === 'string' || (Array.isArray(c.type) && c.type.includes('string'));
        if (looksLikePath.test(key) && stringy && !exempt.has(where) && c.relativeTo !== 'dataDir') {
          missing.push(where);
        }
        walk(child, where);
      }
    }
  };
  walk(configSchema(), '');
  assert.deepEqual(missing, [], 'path keys without "relativeTo": "dataDir" in config/schema');
});

test('server.issuer follows server.port unless it is set', (t) => {
  assert.equal(loadConfig({ env: {} }).server.issuer, 'https://localhost:8443');
  assert.equal(loadConfig({ env: { HDDT_SERVER__PORT: '9443' } }).server.issuer, 'https://localhost:9443');
  assert.equal(loadConfig({ env: { HDDT_SERVER__PORT: '443' } }).server.issuer, 'https://localhost');
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const file = writeConfig(dir, { server: { port: 10443 } });
  assert.equal(loadConfig({ file, env: {} }).server.issuer, 'https://localhost:10443');
  const set = writeConfig(dir, { server: { port: 10443, issuer: 'https://hub.example' } });
  assert.equal(
    loadConfig({ file: set, env: {} }).server.issuer,
    'https://hub.example',
    'a set issuer is kept',
  );
});
