// A pseudo-terminal pair made by socat: the controller opens one end, noble's UART driver the other.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface PtyPair {
  /** the end the virtual controller opens */
  readonly controllerPath: string;
  /** the end handed to noble (BLUETOOTH_HCI_SOCKET_UART_PORT or bindParams.uart.port) */
  readonly hostPath: string;
  /** kills socat and removes the links; safe to call twice */
  close(): Promise<void>;
}

export interface PtyPairOptions {
  socatPath?: string;
  /** directory for the two symlinks; a fresh temp dir (removed on close) by default */
  dir?: string;
  timeoutMs?: number;
}

// socat is not in our process group's lifetime: kill any still running if this process exits abruptly.
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

export async function createPtyPair(opts: PtyPairOptions = {}): Promise<PtyPair> {
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hci-pty-'));
  const controllerPath = path.join(dir, 'controller');
  const hostPath = path.join(dir, 'host');
  const child = spawn(
    opts.socatPath ?? 'socat',
    ['-d', '-d', `pty,raw,echo=0,link=${controllerPath}`, `pty,raw,echo=0,link=${hostPath}`],
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
  const cleanupDir = (): void => {
    if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`socat did not start within ${opts.timeoutMs ?? 5000} ms: ${stderr.trim()}`)),
        opts.timeoutMs ?? 5000,
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
    cleanupDir();
    throw e;
  }
  child.stderr?.removeAllListeners('data');
  child.stderr?.resume();
  let closing: Promise<void> | null = null;
  return {
    controllerPath,
    hostPath,
    close: () => (closing ??= stopChild(child, exited).then(cleanupDir)),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
}
