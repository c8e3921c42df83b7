// A LIMIT on a bare parameter makes SQLite prepare the statement again at every run (see boundLimit): none may creep back
// into the sources, and the written form still limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { boundLimit } from '../../../gateway/store/store.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const SOURCES = ['gateway', 'server', 'bin', 'drivers', 'config', 'firmware-bridge', 'bench'];
// The whole parameter name, then no `+`: without `(?!\w)` a name would backtrack to a shorter one to match.
const BARE = /LIMIT\s+(\?|[@:$]\w+)(?!\w)(?!\s*\+)/g;

function tsFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

test('no statement in the sources binds a bare LIMIT parameter', () => {
  const files = SOURCES.flatMap((d) => tsFiles(path.join(ROOT, d)));
  assert.ok(files.length > 50, `sources found: ${files.length}`);
  const found = files.flatMap((f) =>
    [...fs.readFileSync(f, 'utf8').matchAll(BARE)].map((m) => `${path.relative(ROOT, f)}: ${m[0]}`),
  );
  assert.deepEqual(found, []);
  // the pattern itself catches what it is meant to
  assert.equal('SELECT 1 LIMIT ?'.match(BARE)?.length, 1);
  assert.equal('... ORDER BY seq LIMIT @limit)'.match(BARE)?.length, 1);
  assert.equal(`SELECT 1 ${boundLimit('@n')}`.match(BARE), null);
  assert.equal(`SELECT 1 ${boundLimit('@limit')}`.match(BARE), null);
  assert.equal(`SELECT 1 ${boundLimit()}`.match(BARE), null);
});

test('boundLimit limits by the bound value, positional and named, whatever the value each run', () => {
  const db = new Database(':memory:');
  db.exec(
    'CREATE TABLE t (n INTEGER); WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 50) INSERT INTO t SELECT n FROM s',
  );
  const positional = db.prepare(`SELECT n FROM t ORDER BY n ${boundLimit()}`).pluck();
  const named = db.prepare(`SELECT n FROM t ORDER BY n ${boundLimit('@limit')}`).pluck();
  for (const k of [3, 0, 17, 50, 3]) {
    assert.deepEqual(
      positional.all(k),
      Array.from({ length: k }, (_, i) => i + 1),
    );
    assert.equal(named.all({ limit: k }).length, k);
  }
  db.close();
});
