// SCSI links through `sg_raw` (Debian sg3-utils): one process per command block, data-out on its stdin,
// data-in into a file. Node has no ioctl, no kept npm package issues SG_IO, and a native addon of our own would
// be C code to build on every hub; sg_raw is the Debian-maintained tool that does exactly one raw CDB through
// SG_IO on /dev/sg* or /dev/sd*. A process per command costs milliseconds: a 500-record Verio is ~1000 of them.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MeterError } from '../serial/meter-error.ts';
import { UsbUnavailableError } from './node-hid-link.ts';
import type { ScsiLink, ScsiRequest } from './usb-link.ts';

export interface SgRawOptions {
  /** The SCSI device (`/dev/sg2`, `/dev/sdb`). */
  path: string;
  /** The sg_raw executable (tests point this at a stand-in that talks to a simulated meter). */
  command?: string;
  /** Arguments put before sg_raw's own (e.g. a script path when `command` is node). */
  prefixArgs?: string[];
}

const hex2 = (b: number): string => b.toString(16).padStart(2, '0');

export function sgRawArgs(device: string, req: ScsiRequest, outFile: string | null): string[] {
  const args = ['-t', String(Math.max(1, Math.ceil(req.timeoutMs / 1000)))];
  if (req.dataOut) args.push('-s', String(req.dataOut.length));
  if (req.dataInLength) args.push('-r', String(req.dataInLength), '-o', outFile ?? '/dev/null');
  return [...args, device, ...Array.from(req.cdb, hex2)];
}

export function openSgRawLink(opts: SgRawOptions): ScsiLink {
  const command = opts.command ?? 'sg_raw';
  let dir: string | null = null;
  let closed = false;
  let running: Promise<unknown> = Promise.resolve();

  const run = async (req: ScsiRequest): Promise<Uint8Array> => {
    if (closed) throw new MeterError('ERR_PORT_CLOSED', `${opts.path}: closed`);
    dir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-sg-'));
    const out = req.dataInLength ? path.join(dir, 'data-in') : null;
    if (out) fs.rmSync(out, { force: true });
    const args = [...(opts.prefixArgs ?? []), ...sgRawArgs(opts.path, req, out)];
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(command, args, { stdio: ['pipe', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
      child.on('error', (e: NodeJS.ErrnoException) =>
        reject(
          e.code === 'ENOENT'
            ? new UsbUnavailableError(
                `${command} not found: the Verio transport needs sg_raw (Debian package sg3-utils)`,
              )
            : e,
        ),
      );
      child.on('close', (c) => resolve({ code: c, stderr: err }));
      child.stdin.on('error', () => undefined); // a child that died early: its exit code tells why
      child.stdin.end(req.dataOut ? Buffer.from(req.dataOut) : undefined);
    });
    if (code !== 0) throw sgError(opts.path, code, stderr);
    if (!out) return new Uint8Array(0);
    return new Uint8Array(fs.readFileSync(out));
  };

  return {
    kind: 'scsi',
    execute(req) {
      // one command at a time: the meter's registers are a request/answer pair
      const next = running.then(() => run(req));
      running = next.catch(() => undefined);
      return next;
    },
    async close() {
      closed = true;
      await running;
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
      dir = null;
    },
  };
}

/** sg3-utils exit status 15 is "file error" (open failed: the device is gone or not permitted). */
function sgError(device: string, code: number | null, stderr: string): MeterError {
  const line = stderr.trim().split('\n').filter(Boolean).slice(-2).join('; ') || `exit status ${code}`;
  if (code === 15 || /No such (file|device)|cannot open|Permission denied/i.test(stderr)) {
    return new MeterError('ERR_PORT_CLOSED', `${device}: ${line}`);
  }
  return new MeterError('ERR_PROTOCOL', `${device}: SCSI command failed (sg_raw status ${code}): ${line}`);
}
