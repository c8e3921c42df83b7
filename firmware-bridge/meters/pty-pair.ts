// A pseudo-terminal pair made by socat: the simulated meter opens one end, the gateway the other, exactly as
// it would open /dev/ttyUSB0. Killing socat is "pulling the cable": the gateway's port sees the line vanish.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface MeterPtyPair {
  /** The end the simulated meter opens. */
  readonly meterPath: string;
  /** The end the gateway opens (what a USB-serial adapter would be). */
  readonly gatewayPath: string;
  /** Kills socat and removes the links; safe to call twice. */
  close(): Promise<void>;
}

export interface MeterPtyOptions {
  socatPath?: string;
  /** Directory for the two symlinks; a fresh temp dir (removed on close) by default. */
  dir?: string;
  /** Link names inside `dir`. */
  names?: { meter: string; gateway: string };
  timeoutMs?: number;
}

export async function createMeterPty(opts: MeterPtyOptions = {}): Promise<MeterPtyPair> {
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'meter-pty-'));
  const meterPath = path.join(dir, opts.names?.meter ?? 'meter');
  const gatewayPath = path.join(dir, opts.names?.gateway ?? 'gateway');
  const timeoutMs = opts.timeoutMs ?? 5000;
  const child = spawn(
    opts.socatPath ?? (fs.existsSync('/usr/bin/socat') ? '/usr/bin/socat' : 'socat'),
    ['-d', '-d', `pty,raw,echo=0,link=${meterPath}`, `pty,raw,echo=0,link=${gatewayPath}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cleanupDir = (): void => {
    if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
    else for (const p of [meterPath, gatewayPath]) fs.rmSync(p, { force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`socat did not start within ${timeoutMs} ms: ${stderr}`)),
        timeoutMs,
      );
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (d: string) => {
        stderr += d;
        // socat -d -d logs this once both ptys exist and the links are in place.
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
    cleanupDir();
    throw e;
  }
  child.stderr?.removeAllListeners('data');
  child.stderr?.resume();
  let closing: Promise<void> | null = null;
  return { meterPath, gatewayPath, close: () => (closing ??= stop(child, exited).then(cleanupDir)) };
}

async function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
}
