// A command run without --config makes ./data where it was started: the first run says so on stderr, naming
// the absolute folder and how to choose another; later runs stay quiet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

/** The real command in `cwd`, with no HDDT_* variable of the caller's environment. */
function runIn(cwd: string, args: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HDDT_')));
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...clean, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the first command without --config announces the data directory it made, once', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const work = fs.realpathSync(dir);
  fs.writeFileSync(path.join(work, 'none.jsonl'), '');

  const first = runIn(work, ['import', 'none.jsonl']);
  assert.equal(first.status, 0, first.stderr);
  const data = path.join(work, 'data');
  assert.ok(
    first.stderr.includes(`created the data directory ${data} `),
    `names the absolute folder: ${first.stderr}`,
  );
  assert.match(first.stderr, /--config/);
  assert.match(first.stderr, /HDDT_DATA_DIR/);
  assert.equal(fs.statSync(data).mode & 0o777, 0o700);
  assert.ok(fs.existsSync(path.join(data, 'hddt.sqlite')), 'and the data went there');

  const second = runIn(work, ['import', 'none.jsonl']);
  assert.equal(second.status, 0, second.stderr);
  assert.doesNotMatch(second.stderr, /created the data directory/);
});

test('HDDT_DATA_DIR relative to the working directory: the notice names the absolute folder', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const work = fs.realpathSync(dir);
  fs.writeFileSync(path.join(work, 'none.jsonl'), '');
  const r = runIn(work, ['import', 'none.jsonl'], { HDDT_DATA_DIR: 'hub/state' });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stderr.includes(`created the data directory ${path.join(work, 'hub', 'state')} `), r.stderr);
  assert.ok(fs.existsSync(path.join(work, 'hub', 'state', 'hddt.sqlite')));
});

test('commands that only read, or make the directory themselves, make none and announce none', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const work = fs.realpathSync(dir);
  const status = runIn(work, ['status', '--offline']);
  assert.equal(status.status, 2, status.stderr);
  assert.match(status.stderr, /no database at/);
  fs.writeFileSync(path.join(work, 'passphrase'), 'wrong horse\n');
  fs.writeFileSync(path.join(work, 'not-a-backup'), 'x'.repeat(100));
  const restore = runIn(work, ['restore', 'not-a-backup', '--passphrase-file', 'passphrase']);
  assert.equal(restore.status, 2, restore.stderr);
  for (const r of [status, restore]) assert.doesNotMatch(r.stderr, /created the data directory/);
  assert.equal(fs.existsSync(path.join(work, 'data')), false, 'a failed restore writes nothing');
});
