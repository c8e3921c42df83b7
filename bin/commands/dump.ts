// `hddt-gateway dump --port PATH --protocol P [--config F] [--db FILE] [--timezone Z]`: reads every record
// from a serial meter into the store (`dump --usb [PATH]`: a plugged USB meter, see dump-usb.ts), with a
// progress bar on a terminal and a one-line summary. With sync on in the configuration, what it stores is queued for the recorder in the same transactions.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { assertTimeZone, TimeZoneError } from '../../drivers/serial/local-time.ts';
import { SERIAL_PROTOCOLS, type SerialProtocol } from '../../drivers/serial/meter-session.ts';
import { dumpMeter } from '../../drivers/serial/run-dump.ts';
import { dumpUsb } from './dump-usb.ts';
import { openGatewayStore } from '../../gateway/open-store.ts';
import { ingestOptionsFromConfig } from '../../gateway/hddt/mapping.ts';
import { storePort } from '../../gateway/ingest/port.ts';
import { UsageError, action, configFrom, withConfigOption } from './common.ts';

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
        if (opts.port === undefined || opts.protocol === undefined)
          throw new UsageError('dump: give --port and --protocol for a serial meter, or --usb');
        const protocol = opts.protocol as SerialProtocol;
        const port = opts.port;
        if (!SERIAL_PROTOCOLS.includes(protocol)) {
          throw new UsageError(
            `dump: unknown protocol "${opts.protocol}" (known: ${SERIAL_PROTOCOLS.join(', ')})`,
          );
        }
        try {
          assertTimeZone(opts.timezone);
        } catch (err) {
          if (err instanceof TimeZoneError) throw new UsageError(`dump: ${err.message}`);
          throw err;
        }
        const retries = positiveInt(opts.retries, '--retries', 0);
        const replyMs = positiveInt(opts.timeoutMs, '--timeout-ms', 10);
        const baudRate = opts.baud === undefined ? undefined : positiveInt(opts.baud, '--baud', 50);
        if (!fs.existsSync(port)) throw new UsageError(`dump: no such port ${port}`);
        if (opts.db !== undefined && !fs.existsSync(path.dirname(path.resolve(opts.db)))) {
          throw new UsageError(`dump: the directory of ${opts.db} does not exist`);
        }
        const config = configFrom(opts);
        const store = opts.db === undefined ? openGatewayStore(config) : openGatewayStore(config, opts.db);
        const bar = process.stderr.isTTY
          ? new SingleBar(
              { format: 'dump [{bar}] {percentage}% | {value}/{total} records', stream: process.stderr },
              Presets.shades_classic,
            )
          : undefined;
        let started = false;
        try {
          const result = await dumpMeter({
            path: port,
            protocol,
            port: storePort(store, ingestOptionsFromConfig(config)),
            timeZone: opts.timezone,
            baudRate,
            session: { retries, timeouts: { replyMs, quietMs: Math.max(50, Math.round(replyMs / 6)) } },
            onProgress: (done, total) => {
              if (!bar) return;
              if (!started) {
                bar.start(total ?? done, done);
                started = true;
              }
              if (total !== undefined) bar.setTotal(total);
              bar.update(done);
            },
          });
          bar?.stop();
          const summary = {
            device: result.deviceKey ?? null,
            read: result.read,
            stored: result.stored,
            duplicates: result.duplicates,
            expired: result.expired,
            rejected: result.rejected.length,
            error: result.error ? `${result.error.code}: ${result.error.message}` : null,
          };
          for (const r of result.rejected)
            process.stderr.write(`rejected: ${r.identity ?? '(record)'}: ${r.reason}\n`);
          process.stdout.write(
            opts.json
              ? `${JSON.stringify(summary)}\n`
              : `${summary.device ?? port}: read ${summary.read}, stored ${summary.stored}, ` +
                  `duplicate ${summary.duplicates}, expired ${summary.expired}, rejected ${summary.rejected}\n`,
          );
          if (result.error) {
            if (result.error.code === 'ERR_PORT_OPEN') throw new UsageError(`dump: ${result.error.message}`);
            process.stderr.write(`hddt-gateway: dump failed: ${summary.error}\n`);
            process.exitCode = 1;
          }
        } catch (err) {
          if (err instanceof Error && 'code' in err && err.code === 'ERR_PORT_OPEN') {
            throw new UsageError(`dump: ${err.message}`);
          }
          throw err;
        } finally {
          bar?.stop();
          store.close();
        }
      }),
    );
}
