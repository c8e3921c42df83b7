// Serves a simulated SCSI meter on a unix socket for `sg-raw-stub.mjs`, a stand-in for Debian's `sg_raw`
// that takes the same arguments, so the gateway's real sg_raw transport (one process per command, data-out on
// stdin, data-in to a file, exit status) runs end to end against the simulator. One JSON line per command.
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScsiMeterModel } from './usb-sim-link.ts';

/** The stub's path, to hand to the transport as `prefixArgs` with `process.execPath` as the command. */
export const SG_RAW_STUB = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sg-raw-stub.mjs');

export interface SgRawServer {
  /** The "device" path to give the transport: the socket. */
  path: string;
  commands: number;
  close(): Promise<void>;
}

export async function serveScsiMeter(model: ScsiMeterModel, socketPath: string): Promise<SgRawServer> {
  const state: SgRawServer = {
    path: socketPath,
    commands: 0,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = net.createServer((sock) => {
    let buf = '';
    sock.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const req = JSON.parse(buf.slice(0, nl)) as { cdb: string; dataOut: string | null };
      state.commands++;
      const a = model.command(
        Buffer.from(req.cdb, 'hex'),
        req.dataOut === null ? undefined : Buffer.from(req.dataOut, 'hex'),
      );
      const reply = {
        gone: a.gone ?? false,
        check: a.check ?? null,
        data: a.data ? Buffer.from(a.data).toString('hex') : '',
      };
      sock.end(`${JSON.stringify(reply)}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socketPath, resolve));
  return state;
}
