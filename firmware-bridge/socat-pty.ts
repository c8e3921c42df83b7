// A pseudo-terminal pair made by socat, with a stable symlink for each end. Shared by the virtual BLE
// controller (controller ↔ noble) and the simulated serial meters (meter ↔ gateway). Killing socat is
// "pulling the cable": whoever holds an end sees the line vanish.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface SocatPty {
  /** Symlinks to the two ends, in the order of `names`. */
  readonly paths: [string, string];
  /** Kills socat and removes the links (or the temp dir it made); safe to call twice. */
  close(): Promise<void>;
}

export interface SocatPtyOptions {
  socatPath?: string;
  /** Directory for the two symlinks; a fresh temp dir (removed on close) by default. */
  dir?: string;
  /** Link names inside the directory. */
  names: [string, string];
  /** Prefix of the temp dir made when `dir` is not given. */
  tempPrefix?: string;
  timeoutMs?: number;
}

// socat outlives an abruptly exiting process unless killed: kill any still running when this one exits.
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  running.add(child);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const c of running) c.kill('SIGKILL');
    });
  }
}

export async function createSocatPty(opts: SocatPtyOptions): Promise<SocatPty> {
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), opts.tempPrefix ?? 'pty-'));
  const paths: [string, string] = [path.join(dir, opts.names[0]), path.join(dir, opts.names[1])];
  const timeoutMs = opts.timeoutMs ?? 5000;
  const child = spawn(
    opts.socatPath ?? (fs.existsSync('/usr/bin/socat') ? '/usr/bin/socat' : 'socat'),
    ['-d', '-d', `pty,raw,echo=0,link=${paths[0]}`, `pty,raw,echo=0,link=${paths[1]}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  track(child);
  let stderr = '';
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      running.delete(child);
      resolve();
    }),
  );
  const cleanup = (): void => {
    if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
    else for (const p of paths) fs.rmSync(p, { force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`socat did not start within ${timeoutMs} ms: ${stderr.trim()}`)),
        timeoutMs,
      );
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (d: string) => {
        stderr += d;
        // socat -d -d logs this once both ptys exist and the links are in place
        if (stderr.includes('starting data transfer loop')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`socat exited with ${code}: ${stderr.trim()}`));
      });
    });
  } catch (e) {
    child.kill('SIGKILL');
    cleanup();
    throw e;
  }
  child.stderr?.removeAllListeners('data');
  child.stderr?.resume();
  let closing: Promise<void> | null = null;
  return { paths, close: () => (closing ??= stopChild(child, exited).then(cleanup)) };
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
}
