#!/usr/bin/env node
// Entry point of the `hddt-gateway` command: runs the compiled build in dist/ (`npm run build`).
// In a development checkout (the TypeScript sources beside it) dist/ may be missing or older than the sources;
// then it runs the sources through tsx, a development dependency, so a command (and a test spawning one) never
// runs anything but the current sources. An installed package has no sources and always runs dist/.
import fs from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';

// Node 22.1+: V8's compiled code of the modules is kept on disk (NODE_COMPILE_CACHE, which the unit sets, or
// Node's default folder) and the next start skips compiling them; Node 20 has no such cache.
module.enableCompileCache?.();

const root = fileURLToPath(new URL('../', import.meta.url));
const checkout = fs.existsSync(new URL('./cli.ts', import.meta.url));

if (!checkout || (await import('./build-stamp.js')).buildIsCurrent(root)) {
  await import('../dist/bin/cli.js');
} else {
  let tsx;
  try {
    tsx = await import('tsx/esm/api');
  } catch {
    console.error(
      'hddt-gateway: dist/ is missing or older than the sources, and tsx is not installed: run `npm run build`',
    );
    process.exit(1);
  }
  if (process.stderr.isTTY) {
    console.error('hddt-gateway: dist/ is missing or older than the sources: running them through tsx');
  }
  tsx.register();
  await import('./cli.ts');
}
