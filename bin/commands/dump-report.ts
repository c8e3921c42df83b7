// What a serial and a USB dump share on the command line: the checks of --timezone and --db, the store, the
// progress bar on a terminal and the one-line summary (JSON with --json); a failed dump exits 1 after the
// summary of what was stored.
import fs from 'node:fs';
import path from 'node:path';
import { assertTimeZone, TimeZoneError } from '../../drivers/serial/local-time.ts';
import type { FetchProgress } from '../../drivers/serial/meter-session.ts';
import type { MeterDumpResult } from '../../drivers/serial/meter-visit.ts';
import { openGatewayStore } from '../../gateway/open-store.ts';
import type { GatewayConfig } from '../../config/types.ts';
import type { Store } from '../../gateway/store/store.ts';
import { UsageError, configFrom } from './common.ts';
import { terminalProgress } from './progress.ts';
import type { DumpCliOptions } from './dump.ts';

/** The time zone and the --db folder, checked before any device is touched. */
export function checkDumpOptions(opts: DumpCliOptions): void {
  try {
    assertTimeZone(opts.timezone);
  } catch (err) {
    if (err instanceof TimeZoneError) throw new UsageError(`dump: ${err.message}`);
    throw err;
  }
  if (opts.db !== undefined && !fs.existsSync(path.dirname(path.resolve(opts.db)))) {
    throw new UsageError(`dump: the directory of ${opts.db} does not exist`);
  }
}

export function openDumpStore(opts: DumpCliOptions): { store: Store; config: GatewayConfig } {
  const config = configFrom(opts);
  const store = opts.db === undefined ? openGatewayStore(config) : openGatewayStore(config, opts.db);
  return { store, config };
}

/** A progress bar on stderr when it is a terminal; nothing otherwise. */
export function dumpProgress(): { onProgress: FetchProgress; stop: () => void } {
  return terminalProgress('dump', 'records');
}

/** Prints the rejected records (stderr) and the summary (stdout); a port that did not open is a usage error. */
export function reportDump(result: MeterDumpResult<string>, where: string, json: boolean | undefined): void {
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
    json
      ? `${JSON.stringify(summary)}\n`
      : `${summary.device ?? where}: read ${summary.read}, stored ${summary.stored}, ` +
          `duplicate ${summary.duplicates}, expired ${summary.expired}, rejected ${summary.rejected}\n`,
  );
  if (!result.error) return;
  if (result.error.code === 'ERR_PORT_OPEN') throw new UsageError(`dump: ${result.error.message}`);
  process.stderr.write(`hddt-gateway: dump failed: ${summary.error}\n`);
  process.exitCode = 1;
}

/** An error raised while opening the port names what the user gave wrongly: a usage error (exit 2). */
export function portOpenAsUsage(err: unknown): never {
  if (err instanceof Error && 'code' in err && err.code === 'ERR_PORT_OPEN')
    throw new UsageError(`dump: ${err.message}`);
  throw err;
}
