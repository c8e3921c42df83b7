// `npm run build`: compiles the sources named in tsconfig.build.json to dist/ with tsc (relative `.ts` imports
// are rewritten to `.js`), copies the other files the code reads beside itself (JSON schemas, default configuration,
// scenarios, the docs the import command points to) and writes the stamp bin/hddt-gateway.js checks.
// `npm ci` and `npm pack` run it through `prepare`, which keeps a dist/ built from the current sources; without
// TypeScript installed (`npm ci --omit=dev`) it says so and stops.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIsCurrent, writeStamp } from '../bin/build-stamp.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
// Copied as they are: docs/ because `import --help` names docs/readings-jsonl.md relative to its own module.
const EXTRA = ['docs'];

const prepare = process.env.npm_lifecycle_event === 'prepare';
if (prepare && buildIsCurrent(root)) {
  console.error('build: dist/ is current');
  process.exit(0);
}

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  console.error('build: TypeScript is not installed (a development dependency); dist/ not built');
  process.exit(prepare ? 0 : 1);
}

const started = Date.now();
const config = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.build.json'), 'utf8'));
const roots = [...new Set(config.include.map((p) => p.split('/')[0]))].filter((r) =>
  fs.existsSync(path.join(root, r)),
);
fs.rmSync(dist, { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
if (r.status !== 0) process.exit(r.status ?? 1);

for (const r of roots) copyTree(path.join(root, r), path.join(dist, r), (name) => !/\.(ts|js)$/.test(name));
for (const e of EXTRA) copyTree(path.join(root, e), path.join(dist, e), () => true);
writeStamp(root, [...roots, ...EXTRA, 'tsconfig.build.json', 'tsconfig.json'], started);
console.error(`build: dist/ from ${roots.join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s`);

function copyTree(from, to, keep) {
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, e.name);
    if (e.isDirectory()) copyTree(src, path.join(to, e.name), keep);
    else if (e.isFile() && keep(e.name)) {
      fs.mkdirSync(to, { recursive: true });
      fs.copyFileSync(src, path.join(to, e.name));
    }
  }
}
