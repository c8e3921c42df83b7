// bin/hddt-gateway.js runs the compiled build (dist/) only while it was built from the sources beside it;
// in a checkout with a missing or older dist/ it runs the sources through tsx; an installed package (no
// sources) always runs dist/. Checked on a small tree with the real launcher and stand-in entry points.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { writeStamp } from '../../bin/build-stamp.js';
import { ROOT } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

const HOUR = 3_600_000;

function tree(opts: { sources: boolean; tsx: boolean }): { dir: string; cleanup: () => void; run(): string } {
  const { dir, cleanup } = tempDir('hddt-launcher-');
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };
  for (const f of ['bin/hddt-gateway.js', 'bin/build-stamp.js'])
    write(f, fs.readFileSync(path.join(ROOT, f), 'utf8'));
  write('package.json', '{ "type": "module" }\n');
  write('dist/bin/cli.js', "console.log('dist');\n");
  if (opts.sources) {
    write('bin/cli.ts', "const from: string = 'sources';\nconsole.log(from);\n");
    write('gateway/app.ts', 'export {};\n');
  }
  if (opts.tsx) fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  const run = () => {
    const r = spawnSync(process.execPath, [path.join(dir, 'bin/hddt-gateway.js')], { encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : `exit ${r.status}: ${r.stderr.trim()}`;
  };
  return { dir, cleanup, run };
}

/** Sets every file and folder under `dir` to `ms` (as if the sources were last changed then). */
function age(dir: string, ms: number) {
  const t = new Date(ms);
  for (const e of fs.readdirSync(dir, { recursive: true }) as string[])
    fs.utimesSync(path.join(dir, e), t, t);
  fs.utimesSync(dir, t, t);
}

test('a checkout runs dist/ while it is current, the sources once anything changed', (t) => {
  const { dir, cleanup, run } = tree({ sources: true, tsx: true });
  t.after(cleanup);
  fs.rmSync(path.join(dir, 'dist/build.json'), { force: true });
  assert.equal(run(), 'sources', 'no stamp: dist/ was not built from these sources');

  age(path.join(dir, 'bin'), Date.now() - HOUR);
  age(path.join(dir, 'gateway'), Date.now() - HOUR);
  writeStamp(dir, ['bin', 'gateway'], Date.now() - HOUR / 2);
  assert.equal(run(), 'dist');

  fs.writeFileSync(path.join(dir, 'gateway/app.ts'), 'export const changed = 1;\n');
  assert.equal(run(), 'sources', 'an edited file');

  age(path.join(dir, 'gateway'), Date.now() - HOUR);
  assert.equal(run(), 'dist');
  fs.writeFileSync(path.join(dir, 'gateway/new.ts'), 'export {};\n');
  fs.utimesSync(path.join(dir, 'gateway/new.ts'), new Date(Date.now() - HOUR), new Date(Date.now() - HOUR));
  assert.equal(run(), 'sources', 'a new file (its folder changed) even with an old time of its own');

  age(path.join(dir, 'gateway'), Date.now() - HOUR);
  fs.rmSync(path.join(dir, 'gateway'), { recursive: true });
  assert.equal(run(), 'sources', 'a source folder that is gone');
});

test('a stale checkout without tsx says to build, an installed package always runs dist/', (t) => {
  const checkout = tree({ sources: true, tsx: false });
  t.after(checkout.cleanup);
  assert.match(checkout.run(), /^exit 1: .*dist\/ is missing or older than the sources.*npm run build/);

  const installed = tree({ sources: false, tsx: false });
  t.after(installed.cleanup);
  assert.equal(installed.run(), 'dist');
});
