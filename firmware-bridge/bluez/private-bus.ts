// A private D-Bus message bus for tests and demos: its own dbus-daemon process on a socket in a temp folder,
// started without root, with a policy that lets any local client own any name (org.bluez included). Clients
// reach it through its address, e.g. DBUS_SYSTEM_BUS_ADDRESS for noble's BlueZ binding.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface PrivateBus {
  /** "unix:path=/tmp/hddt-dbus-XXXX/bus,guid=…" */
  readonly address: string;
  readonly pid: number;
  /** Stops the daemon and removes its folder; safe to call twice. */
  close(): Promise<void>;
}

const CONFIG = (
  socket: string,
) => `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;

/** Every daemon still running, killed when the process exits however it exits (a failed test included). */
const running = new Set<ChildProcess>();
let exitHook = false;
function killAllOnExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

export async function startPrivateBus(
  opts: { daemon?: string; timeoutMs?: number } = {},
): Promise<PrivateBus> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-dbus-'));
  const socket = path.join(dir, 'bus');
  const config = path.join(dir, 'bus.conf');
  fs.writeFileSync(config, CONFIG(socket));
  const daemon = opts.daemon ?? 'dbus-daemon';
  const child = spawn(daemon, [`--config-file=${config}`, '--nofork', '--nopidfile', '--print-address=1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  killAllOnExit();
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve()); // not started at all (ENOENT): there is no exit event
  });
  const cleanup = () => {
    running.delete(child);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  let address: string;
  try {
    address = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(
        () => reject(new Error(`${daemon} printed no address within ${opts.timeoutMs ?? 5000} ms`)),
        opts.timeoutMs ?? 5000,
      );
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(
          new Error(
            `cannot start ${daemon}: ${e.message} (Debian package dbus-daemon, or dbus before Debian 12)`,
          ),
        );
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${daemon} exited with ${code}: ${stderr.trim()}`));
      });
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString('utf8');
        const nl = out.indexOf('\n');
        if (nl < 0) return;
        clearTimeout(timer);
        resolve(out.slice(0, nl).trim());
      });
    });
  } catch (e) {
    child.kill('SIGKILL');
    await exited;
    cleanup();
    throw e;
  }
  let closed: Promise<void> | null = null;
  return {
    address,
    pid: child.pid as number,
    close() {
      closed ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await exited;
        cleanup();
      })();
      return closed;
    },
  };
}
