// Start-up time of the `hddt-gateway` command as a package runs it (bench/rig.ts: the compiled build, no
// sources): `--help`, `decode`, and `run` until its `gateway running` line with BLE, serial, the HTTPS server
// and MQTT enabled (a restart on an existing data directory, and the first start on an empty one). Each figure
// is the median of several runs, wall and CPU time, beside `node -e 0` measured in the same run; timings on a
// shared machine are noisy, CPU time less so. `--sources` adds `--help` and `run` through tsx, as before the
// compiled build (slow). `--node BIN --modules DIR` measures another Node.js with a node_modules built for it;
// Node 22+ then keeps its compile cache in a fresh folder of the run (NODE_COMPILE_CACHE), warmed by the first
// run of each command, as the unit's cache directory is after the first start.
// npm run build && npm run bench -- startup [--runs N] [--sources] [--node BIN --modules DIR]
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, median, packagedBuild, round, startGateway, startRig, type Rig } from './rig.ts';

const TARGET = { helpS: 0.35, decodeS: 0.35, runS: 1.5 };

interface Figure {
  wallMs: number;
  cpuMs: number;
}

/** One run of a short command: wall time, and its CPU time as bash's `times` reports for children. */
function once(argv: string[]): Promise<Figure> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('bash', ['-c', '"$@" >/dev/null 2>&1; s=$?; times; exit $s', 'bench', ...argv], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.once('exit', (code) => {
      const wallMs = performance.now() - t0;
      if (code !== 0) return reject(new Error(`${argv.join(' ')} exited ${code}`));
      // second line: the children's user and system time, e.g. "0m0.120s 0m0.020s"
      const times =
        out
          .trim()
          .split('\n')[1]
          ?.match(/(\d+)m([\d.]+)s/g) ?? [];
      const cpuMs = times.reduce((sum, t) => {
        const [, m, s] = /(\d+)m([\d.]+)s/.exec(t)!;
        return sum + (Number(m) * 60 + Number(s)) * 1000;
      }, 0);
      resolve({ wallMs, cpuMs });
    });
  });
}

async function repeat(runs: number, one: () => Promise<Figure>): Promise<Figure & { wallMsRuns: number[] }> {
  const all: Figure[] = [];
  for (let i = 0; i < runs; i++) all.push(await one());
  return {
    wallMs: round(median(all.map((f) => f.wallMs))),
    cpuMs: round(median(all.map((f) => f.cpuMs))),
    wallMsRuns: all.map((f) => round(f.wallMs)),
  };
}

async function runUntilReady(entry: string[], rig: Rig, node?: string): Promise<Figure> {
  const gw = await startGateway(entry, rig, node);
  const code = await gw.stop();
  if (code !== 0) throw new Error(`run exited ${code} after SIGTERM`);
  return { wallMs: round(gw.readyMs), cpuMs: gw.readyCpuMs };
}

function versus(f: Figure, base: Figure, targetS?: number) {
  return {
    ...f,
    overBaselineMs: round(f.wallMs - base.wallMs),
    cpuOverBaselineMs: round(f.cpuMs - base.cpuMs),
    ...(targetS === undefined ? {} : { targetS, met: f.wallMs <= targetS * 1000 }),
  };
}

export async function run(args: string[] = []): Promise<object> {
  const i = args.indexOf('--runs');
  const runs = i >= 0 ? Number(args[i + 1]) : 7;
  const sources = args.includes('--sources');
  const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const node = option('--node') ?? process.execPath;
  const modules = option('--modules');
  const pkg = packagedBuild(modules);
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-bench-compile-cache-'));
  process.env.NODE_COMPILE_CACHE = cache;
  try {
    const baseline = await repeat(runs, () => once([node, '-e', '0']));
    const help = await repeat(runs, () => once([node, pkg.bin, '--help']));
    const decode = await repeat(runs, () => once([node, pkg.bin, 'decode', 'glucose-feature', '0004']));

    const rig = await startRig();
    try {
      // the first start makes the database, keys and request log; every later one opens them
      const first = await runUntilReady([pkg.bin], rig, node);
      const restart = await repeat(runs, () => runUntilReady([pkg.bin], rig, node));
      const result: Record<string, unknown> = {
        runs,
        cpus: os.cpus().length,
        loadAverage: os.loadavg().map((l) => round(l, 1)),
        node: execFileSync(node, ['-v'], { encoding: 'utf8' }).trim(),
        buildCurrent: pkg.current,
        baseline: { command: 'node -e 0', ...baseline },
        help: versus(help, baseline, TARGET.helpS),
        decode: { command: 'decode glucose-feature 0004', ...versus(decode, baseline, TARGET.decodeS) },
        run: {
          parts: [
            'ble (virtual controller)',
            'serial (pty)',
            'server (dev certificates)',
            'mqtt (mosquitto)',
            'operator',
          ],
          firstStart: versus(first, baseline),
          restart: versus(restart, baseline, TARGET.runS),
        },
      };
      if (sources) {
        const tsx = ['--import', import.meta.resolve('tsx'), path.join(ROOT, 'bin/cli.ts')];
        const n = Math.min(runs, 3);
        result.sourcesThroughTsx = {
          help: versus(await repeat(n, () => once([node, ...tsx, '--help'])), baseline),
          runRestart: versus(await repeat(n, () => runUntilReady(tsx, rig)), baseline),
        };
      }
      return result;
    } finally {
      await rig.close();
    }
  } finally {
    pkg.cleanup();
    fs.rmSync(cache, { recursive: true, force: true });
  }
}
