// The gateway as a hub runs it, for the start-up and memory benchmarks: the compiled build laid out as the
// packages install it (dist/ and the launcher, no sources beside them), started as its own process with every
// part enabled against local stand-ins: BLE over the virtual controller (in a process of its own, as a dongle
// is its own hardware), a serial meter line on a pty that nobody answers, the HTTPS server with development
// certificates, MQTT to a mosquitto started here. Figures are read from /proc/<pid> of the gateway alone.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIsCurrent } from '../bin/build-stamp.js';
import { parseScenario } from '../firmware-bridge/peripherals/index.ts';
import { startSimulationProcess } from '../firmware-bridge/peripherals/simulation-process.ts';
import { createSocatPty } from '../firmware-bridge/socat-pty.ts';
import { generateDevCertificates, type DevCertificates } from '../server/dev-certs.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * dist/ + bin/hddt-gateway.js + package.json in a temp folder, node_modules linked: what a package runs.
 * `modules`: a node_modules built for another Node.js version (better-sqlite3 is tied to one).
 */
export function packagedBuild(modules = path.join(ROOT, 'node_modules')): {
  bin: string;
  /** false: a source changed after the build (the figures are of the build, not of the edited sources) */
  current: boolean;
  cleanup: () => void;
} {
  if (!fs.existsSync(path.join(ROOT, 'dist/bin/cli.js'))) {
    throw new Error('dist/ is missing: run `npm run build` before this benchmark');
  }
  const current = buildIsCurrent(ROOT);
  if (!current) process.stderr.write('bench: dist/ is older than the sources; measuring it as built\n');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-bench-pkg-'));
  fs.cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.copyFileSync(path.join(ROOT, 'bin/hddt-gateway.js'), path.join(dir, 'bin/hddt-gateway.js'));
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  fs.symlinkSync(modules, path.join(dir, 'node_modules'));
  return {
    bin: path.join(dir, 'bin/hddt-gateway.js'),
    current,
    cleanup: () => fs.rmSync(dir, { recursive: true }),
  };
}

export async function freePort(): Promise<number> {
  const srv = net.createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

async function startMosquitto(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(
    conf,
    `listener ${port} 127.0.0.1\nallow_anonymous true\nuser ${os.userInfo().username}\n`,
  );
  const bin = fs.existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto';
  const child = spawn(bin, ['-c', conf], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('mosquitto did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    close: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    },
  };
}

export interface Rig {
  dir: string;
  dataDir: string;
  configFile: string;
  /** the HTTPS server's base URL */
  url: string;
  certs: DevCertificates;
  close(): Promise<void>;
}

/** Everything enabled; `server` settings are merged into the server section (the memory bench's limits). */
export async function startRig(server: Record<string, unknown> = {}): Promise<Rig> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-bench-rig-'));
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const dataDir = path.join(dir, 'data');
    const broker = await startMosquitto(dir);
    closers.push(broker.close);
    const sim = await startSimulationProcess(
      parseScenario({
        peripherals: [
          {
            kind: 'glucose',
            address: 'c0:aa:bb:cc:dd:71',
            name: 'Bench Meter',
            serial: 'BGM0000071',
            history: { count: 5 },
          },
        ],
      }),
    );
    closers.push(() => sim.close());
    const line = await createSocatPty({ names: ['meter', 'gateway'], tempPrefix: 'hddt-bench-serial-' });
    closers.push(() => line.close());
    const certs = await generateDevCertificates({ outDir: path.join(dataDir, 'tls'), clients: 1 });
    const port = await freePort();
    const url = `https://localhost:${port}`;
    const config = {
      dataDir,
      ble: { enabled: true, driver: 'uart', uartPort: sim.ptyPath },
      serial: {
        enabled: true,
        knownCables: false,
        meters: [{ protocol: 'onetouch-ultra2', path: line.paths[1] }],
      },
      server: {
        enabled: true,
        host: '127.0.0.1',
        port,
        issuer: url,
        tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile },
        directory: { source: certs.directoryFile },
        ...server,
      },
      mqtt: { enabled: true, url: broker.url },
      operator: { port: 0 },
    };
    const configFile = path.join(dir, 'config.json');
    fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
    return { dir, dataDir, configFile, url, certs, close };
  } catch (err) {
    await close();
    throw err;
  }
}

const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU time (user + system) the process used so far. */
export function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS;
}

/** Resident memory in MB: all of it, its anonymous part (heap, stacks), file-backed (code, SQLite's map). */
export function memory(pid: number): { rss: number; rssAnon: number; rssFile: number; hwm: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  const mb = (key: string) => round(kb(key) / 1024, 1);
  return { rss: mb('VmRSS'), rssAnon: mb('RssAnon'), rssFile: mb('RssFile'), hwm: mb('VmHWM') };
}

export interface Running {
  child: ChildProcess;
  /** wall time from spawn to the `gateway running` line */
  readyMs: number;
  /** CPU time the process used until then */
  readyCpuMs: number;
  stop(): Promise<number | null>;
}

/** Starts `node ...entry run` (entry: the packaged launcher) and resolves once it logged `gateway running`. */
export async function startGateway(entry: string[], rig: Rig, node = process.execPath): Promise<Running> {
  const t0 = performance.now();
  const child = spawn(node, [...entry, 'run', '--config', rig.configFile], {
    cwd: rig.dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const ready = await new Promise<{ readyMs: number; readyCpuMs: number }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no 'gateway running' in 60 s: ${log.slice(-600)}`)),
      60_000,
    );
    child.stderr!.on('data', (d: Buffer) => {
      log += d;
      if (log.length > 1e6) log = log.slice(-1e5);
      if (timer && log.includes('"msg":"gateway running"')) {
        clearTimeout(timer);
        resolve({ readyMs: performance.now() - t0, readyCpuMs: cpuMs(child.pid!) });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited (${code}) before it ran: ${log.slice(-600)}`));
    });
  });
  return {
    child,
    ...ready,
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      return code as number | null;
    },
  };
}
