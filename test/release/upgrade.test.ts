// Upgrades keep data: a database written by the previous release (0.1.0, schema version 7; made by
// test/fixtures/release-0.1.0/make.sh with that release's code) is migrated when the new gateway starts,
// and a database of a newer release than this one stops start-up with a message, its file untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { devicesOfPatient } from '../../gateway/store/assignments.ts';
import { migrations } from '../../gateway/store/migrations/index.ts';
import { getPatientByUsername } from '../../gateway/store/patients.ts';
import { countReadings } from '../../gateway/store/readings.ts';
import { listResources } from '../../gateway/store/resources.ts';
import { openStore } from '../../gateway/store/store.ts';
import { ROOT, runCli, spawnCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

const FIXTURE = path.join(ROOT, 'test/fixtures/release-0.1.0/hddt.sqlite');
const LATEST = Math.max(...migrations.map((m) => m.version));
// Retention must not purge the fixture's readings however long after it was made the test runs.
const KEEP_ALL = {
  HDDT_HDDT__HISTORIC_DATA_PERIOD_DAYS__BLOOD_GLUCOSE: '36500',
  HDDT_HDDT__HISTORIC_DATA_PERIOD_DAYS__CGM: '36500',
};

/** PRAGMA user_version, from the file's header (opening it read-only would leave a -shm file beside it). */
function userVersion(file: string): number {
  return fs.readFileSync(file).readUInt32BE(60);
}

function dataDirWith(dir: string, version?: number): string {
  const data = path.join(dir, 'data');
  fs.mkdirSync(data, { mode: 0o700 });
  const file = path.join(data, 'hddt.sqlite');
  fs.copyFileSync(FIXTURE, file);
  if (version !== undefined) {
    const db = new Database(file);
    db.pragma(`user_version = ${version}`);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
  }
  return data;
}

async function runUntilReady(env: Record<string, string>): Promise<string> {
  const child = spawnCli(['run'], { HDDT_OPERATOR__PORT: '0', ...env });
  let log = '';
  child.stderr!.on('data', (d) => (log += d));
  const deadline = Date.now() + 60_000;
  while (!log.includes('gateway running')) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`no start: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, log);
  return log;
}

test('the fixture is a database of release 0.1.0', () => {
  assert.equal(userVersion(FIXTURE), 7);
  assert.ok(LATEST > 7, 'this release has migrations the fixture has not seen');
});

test('a database of the previous release is migrated on start and keeps its data', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const data = dataDirWith(dir);
  const before = new Database(path.join(data, 'hddt.sqlite'), { readonly: true, fileMustExist: true });
  const observations = before
    .prepare("SELECT id FROM resources WHERE type = 'Observation'")
    .pluck()
    .all() as string[];
  before.close();

  await runUntilReady({ HDDT_DATA_DIR: data, ...KEEP_ALL });
  const file = path.join(data, 'hddt.sqlite');
  assert.equal(userVersion(file), LATEST, 'run applied every migration');

  const store = openStore({ path: file, readonly: true });
  t.after(() => store.close());
  assert.equal(countReadings(store), 324);
  // the current hour's CGM chunk may be new: every Observation the old release served is still served
  const served = new Set(listResources(store, 'Observation').map((r) => r.id));
  assert.ok(observations.length >= 30);
  for (const id of observations) assert.ok(served.has(id), `Observation ${id}`);
  const alice = getPatientByUsername(store, 'alice');
  assert.ok(alice, 'the patient is still there');
  assert.deepEqual(devicesOfPatient(store, alice.id).sort(), [
    'ble:c0:11:22:33:44:01',
    'ble:c0:aa:bb:cc:dd:01',
  ]);

  const status = runCli(['status', '--json'], { HDDT_DATA_DIR: data });
  assert.equal(status.status, 0, status.stderr);
  assert.ok(JSON.parse(status.stdout), 'status reads the migrated database');
});

test('a database of a newer release stops start-up with a clear message and is left as it was', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const data = dataDirWith(dir, LATEST + 1);
  const file = path.join(data, 'hddt.sqlite');
  const hash = () => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  const original = hash();

  const r = runCli(['run'], { HDDT_DATA_DIR: data, HDDT_OPERATOR__PORT: '0' });
  assert.notEqual(r.status, 0);
  assert.ok(!r.stdout.includes('gateway running') && !r.stderr.includes('gateway running'));
  assert.match(
    r.stderr,
    new RegExp(`database schema version ${LATEST + 1} is newer than this gateway knows \\(${LATEST}\\)`),
  );
  assert.equal(hash(), original, 'the database file is unchanged');
  assert.equal(userVersion(file), LATEST + 1);
  assert.deepEqual(
    fs.readdirSync(data).filter((f) => f.startsWith('hddt.sqlite')),
    ['hddt.sqlite'],
    'no WAL left beside it',
  );
});
