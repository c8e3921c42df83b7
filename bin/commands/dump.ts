// `hddt-gateway dump --port PATH --protocol P [--config F] [--db FILE] [--timezone Z]`: reads every record
// from a serial meter into the store (`dump --usb [PATH]`: a plugged USB meter, see dump-usb.ts), with a
// progress bar on a terminal and a one-line summary. With sync on in the configuration, what it stores is
// queued for the recorder in the same transactions.
import fs from 'node:fs';
import type { Command } from 'commander';
import { SERIAL_PROTOCOLS, type SerialProtocol } from '../../drivers/serial/meter-session.ts';
import { dumpMeter } from '../../drivers/serial/run-dump.ts';
import { ingestOptionsFromConfig } from '../../gateway/hddt/mapping.ts';
import { storePort } from '../../gateway/ingest/port.ts';
import { UsageError, action, withConfigOption } from './common.ts';
import { checkDumpOptions, dumpProgress, openDumpStore, portOpenAsUsage, reportDump } from './dump-report.ts';
import { dumpUsb } from './dump-usb.ts';

export interface DumpCliOptions {
  port?: string;
  protocol?: string;
  usb?: string | true;
  db?: string;
  config?: string;
  timezone: string;
  baud?: string;
  retries: string;
  timeoutMs: string;
  json?: boolean;
}

function positiveInt(value: string, name: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`dump: ${name} must be an integer ≥ ${min}, got ${value}`);
  return n;
}

export function register(program: Command): void {
  withConfigOption(program.command('dump'))
    .description('read all records from a serial or USB glucose meter into the store')
    .option('--port <path>', 'serial device, e.g. /dev/ttyUSB0')
    .option(
      '--protocol <protocol>',
      `meter protocol: ${SERIAL_PROTOCOLS.join(', ')} (USB: docs/usb-meters.md)`,
    )
    .option('--usb [path]', 'read a plugged USB meter: the first found, or this hidraw / SCSI device')
    .option('--db <file>', "SQLite store to write to (default: the configuration's store)")
    .option('--timezone <zone>', 'IANA time zone the meter clock is set to', 'Europe/Berlin')
    .option('--baud <rate>', 'baud rate (default: the protocol’s, 9600)')
    .option('--retries <n>', 'retries per frame/command/dump attempt', '3')
    .option('--timeout-ms <ms>', 'longest wait for one reply', '2000')
    .option('--json', 'print the summary as JSON')
    .action(
      action(async (opts: DumpCliOptions) => {
        if (opts.usb !== undefined) {
          const retries = positiveInt(opts.retries, '--retries', 0);
          return dumpUsb(opts, { retries, replyMs: positiveInt(opts.timeoutMs, '--timeout-ms', 10) });
        }
        return dumpSerial(opts);
      }),
    );
}

async function dumpSerial(opts: DumpCliOptions): Promise<void> {
  if (opts.port === undefined || opts.protocol === undefined)
    throw new UsageError('dump: give --port and --protocol for a serial meter, or --usb');
  const protocol = opts.protocol as SerialProtocol;
  const port = opts.port;
  if (!SERIAL_PROTOCOLS.includes(protocol)) {
    throw new UsageError(`dump: unknown protocol "${opts.protocol}" (known: ${SERIAL_PROTOCOLS.join(', ')})`);
  }
  checkDumpOptions(opts);
  const retries = positiveInt(opts.retries, '--retries', 0);
  const replyMs = positiveInt(opts.timeoutMs, '--timeout-ms', 10);
  const baudRate = opts.baud === undefined ? undefined : positiveInt(opts.baud, '--baud', 50);
  if (!fs.existsSync(port)) throw new UsageError(`dump: no such port ${port}`);
  const { store, config } = openDumpStore(opts);
  const progress = dumpProgress();
  try {
    const result = await dumpMeter({
      path: port,
      protocol,
      port: storePort(store, ingestOptionsFromConfig(config)),
      timeZone: opts.timezone,
      baudRate,
      session: { retries, timeouts: { replyMs, quietMs: Math.max(50, Math.round(replyMs / 6)) } },
      onProgress: progress.onProgress,
    });
    progress.stop();
    reportDump(result, port, opts.json);
  } catch (err) {
    portOpenAsUsage(err);
  } finally {
    progress.stop();
    store.close();
  }
}
