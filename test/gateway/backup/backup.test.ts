import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createBackup } from '../../../gateway/backup/backup.ts';
import { BackupError } from '../../../gateway/backup/format.ts';
import { restoreBackup } from '../../../gateway/backup/restore.ts';
import { ingest } from '../../../gateway/ingest/pipeline.ts';
import { openStore } from '../../../gateway/store/store.ts';
import { countReadings } from '../../../gateway/store/readings.ts';
import { listResources } from '../../../gateway/store/resources.ts';
import { bgSeries, cgmSeries } from '../../../firmware-bridge/synthetic-readings.ts';
import { runCli } from '../../helpers/cli.ts';
import { tempDir } from '../../helpers/tmp.ts';

const T0 = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000 - 5 * 86_400_000);

function populated(t: { after: (fn: () => void) => void }) {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const dataDir = path.join(dir, 'data');
  const store = openStore({ path: path.join(dataDir, 'hddt.sqlite') });
  t.after(() => store.close());
  ingest(store, [
    ...cgmSeries({ deviceKey: 'ble:c', sessionStart: T0, count: 300 }),
    ...bgSeries({ deviceKey: 'ble:b', start: T0, days: 3 }),
  ]);
  fs.mkdirSync(path.join(dataDir, 'keys'), { mode: 0o700 });
  fs.writeFileSync(path.join(dataDir, 'keys', 'signing.jwk'), '{"kty":"EC"}', { mode: 0o600 });
  return { dir, dataDir, store };
}

test('backup while the store is open, restore into an empty directory: same data, same secrets', async (t) => {
  const { dir, dataDir, store } = populated(t);
  const out = path.join(dir, 'b.hddtbk');
  const progress: number[] = [];
  const res = await createBackup({
    store,
    dataDir,
    out,
    key: { passphrase: 'correct horse' },
    onProgress: (d) => progress.push(d),
  });
  assert.deepEqual(res.entries, ['hddt.sqlite', 'keys/signing.jwk']);
  assert.ok(progress.length > 0 && progress.at(-1)! > 0);
  assert.equal(fs.statSync(out).mode & 0o777, 0o600);
  assert.ok(!fs.readFileSync(out).includes(Buffer.from('GlukkoCGM')), 'no plaintext in the backup');
  // the gateway keeps writing after the snapshot: the backup holds the state at snapshot time
  ingest(store, bgSeries({ deviceKey: 'ble:b2', start: T0, days: 1 }));

  const target = path.join(dir, 'restored');
  await restoreBackup({ file: out, dataDir: target, key: { passphrase: 'correct horse' } });
  const restored = openStore({ path: path.join(target, 'hddt.sqlite') });
  t.after(() => restored.close());
  assert.equal(countReadings(restored), 324);
  assert.equal(restored.db.pragma('integrity_check', { simple: true }), 'ok');
  assert.deepEqual(
    listResources(restored).map((r) => [r.id, r.version, r.json]),
    listResources(store)
      .filter((r) => r.device_key !== 'ble:b2')
      .map((r) => [r.id, r.version, r.json]),
  );
  assert.equal(restored.idSecret().toString('hex'), store.idSecret().toString('hex'));
  assert.equal(fs.readFileSync(path.join(target, 'keys', 'signing.jwk'), 'utf8'), '{"kty":"EC"}');
  assert.equal(fs.statSync(path.join(target, 'keys', 'signing.jwk')).mode & 0o777, 0o600);
});

test('a key file works as well, and the wrong kind of key is refused', async (t) => {
  const { dir, dataDir, store } = populated(t);
  const out = path.join(dir, 'k.hddtbk');
  const key = randomBytes(32);
  await createBackup({ store, dataDir, out, key: { keyFile: Buffer.from(key.toString('hex')) } });
  await assert.rejects(
    restoreBackup({ file: out, dataDir: path.join(dir, 'r1'), key: { passphrase: 'x' } }),
    /made with a key file/,
  );
  await restoreBackup({ file: out, dataDir: path.join(dir, 'r2'), key: { keyFile: key } });
  assert.ok(fs.existsSync(path.join(dir, 'r2', 'hddt.sqlite')));
});

async function refused(file: string, dir: string, code: BackupError['code'], passphrase = 'pw') {
  const target = path.join(dir, `r-${code}-${randomBytes(3).toString('hex')}`);
  await assert.rejects(
    restoreBackup({ file, dataDir: target, key: { passphrase } }),
    (err: unknown) => err instanceof BackupError && err.code === code,
  );
  assert.ok(!fs.existsSync(path.join(target, 'hddt.sqlite')), 'nothing restored');
}

test('restore refuses a wrong passphrase, a truncated file and a tampered file, writing nothing', async (t) => {
  const { dir, dataDir, store } = populated(t);
  const out = path.join(dir, 'b.hddtbk');
  await createBackup({ store, dataDir, out, key: { passphrase: 'pw' } });
  const bytes = fs.readFileSync(out);

  await refused(out, dir, 'ERR_WRONG_KEY', 'pW');

  for (const cut of [10, 100, Math.floor(bytes.length / 2), bytes.length - 1]) {
    const f = path.join(dir, `cut-${cut}`);
    fs.writeFileSync(f, bytes.subarray(0, cut));
    await refused(f, dir, 'ERR_TRUNCATED');
  }
  // flip one bit in the ciphertext, in the tag, and in the authenticated header
  const headerEnd = 12 + bytes.readUInt32BE(8);
  for (const pos of [headerEnd + 100, bytes.length - 20, headerEnd - 3]) {
    const f = path.join(dir, `flip-${pos}`);
    const copy = Buffer.from(bytes);
    copy[pos] ^= 0x01;
    fs.writeFileSync(f, copy);
    await refused(f, dir, 'ERR_DAMAGED');
  }
  const notBackup = path.join(dir, 'plain.txt');
  fs.writeFileSync(notBackup, 'hello world, not a backup');
  await refused(notBackup, dir, 'ERR_NOT_A_BACKUP');
});

test('restore refuses a data directory that is not empty', async (t) => {
  const { dir, dataDir, store } = populated(t);
  const out = path.join(dir, 'b.hddtbk');
  await createBackup({ store, dataDir, out, key: { passphrase: 'pw' } });
  await assert.rejects(
    restoreBackup({ file: out, dataDir, key: { passphrase: 'pw' } }),
    /needs an empty data directory/,
  );
  assert.equal(countReadings(store), 324, 'the live data is untouched');
});

test('CLI: backup and restore with a passphrase file; clean one-line errors', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const data = path.join(dir, 'data');
  const lines = bgSeries({ deviceKey: 'serial:x', start: T0, days: 2 }).map((r) => JSON.stringify(r));
  fs.writeFileSync(path.join(dir, 'in.jsonl'), lines.join('\n'));
  assert.equal(runCli(['import', path.join(dir, 'in.jsonl')], { HDDT_DATA_DIR: data }).status, 0);
  fs.writeFileSync(path.join(dir, 'pass'), 'a long passphrase\n');
  const file = path.join(dir, 'x.hddtbk');
  const b = runCli(['backup', file, '--passphrase-file', path.join(dir, 'pass')], { HDDT_DATA_DIR: data });
  assert.equal(b.status, 0, b.stderr);
  assert.match(b.stdout, /backup written to .*x\.hddtbk: 1 files/);

  const noKey = runCli(['backup', file], { HDDT_DATA_DIR: data, HDDT_BACKUP_PASSPHRASE: '' });
  assert.equal(noKey.status, 2);
  assert.match(noKey.stderr, /give --key-file, --passphrase-file or HDDT_BACKUP_PASSPHRASE/);

  const wrong = runCli(['restore', file], {
    HDDT_DATA_DIR: path.join(dir, 'r'),
    HDDT_BACKUP_PASSPHRASE: 'nope',
  });
  assert.equal(wrong.status, 2);
  assert.equal(wrong.stderr.trim(), 'hddt-gateway: wrong passphrase or key file for this backup');

  const ok = runCli(['restore', file, '--passphrase-file', path.join(dir, 'pass')], {
    HDDT_DATA_DIR: path.join(dir, 'r'),
  });
  assert.equal(ok.status, 0, ok.stderr);
  const s = openStore({ path: path.join(dir, 'r', 'hddt.sqlite') });
  t.after(() => s.close());
  assert.equal(countReadings(s), 16);
});
