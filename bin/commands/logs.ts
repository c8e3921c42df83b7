// `hddt-gateway logs verify|query`: the HDDT request log (server/audit/request-log.ts) — check the hash
// chain, and filter lines by period, client, status (JSON lines on stdout).
import type { Command } from 'commander';
import { dataPath } from '../../config/load.ts';
import { queryLogs, verifyLogs } from '../../server/audit/request-log.ts';
import { fhirSettings } from '../../server/fhir/settings.ts';
import { action, configFrom, UsageError, withConfigOption } from './common.ts';

interface DirOpts {
  config?: string;
  dir?: string;
}

function logDir(opts: DirOpts): string {
  if (opts.dir) return opts.dir;
  const config = configFrom(opts);
  return dataPath(config, fhirSettings(config).requestLog.dir);
}

function time(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(ms))
    throw new UsageError(`--${name} ${JSON.stringify(value)} is not an ISO date or date-time`);
  return ms;
}

export function register(program: Command): void {
  const logs = program.command('logs').description('HDDT request log: verify the hash chain, query lines');

  withConfigOption(logs.command('verify'))
    .description('recompute the checksum chain over all daily files; exit 1 at the first broken line')
    .option('--dir <dir>', 'log directory (default: from the configuration)')
    .action(
      action((opts: DirOpts) => {
        const result = verifyLogs(logDir(opts));
        if (result.ok) {
          process.stdout.write(`ok: ${result.lines} lines in ${result.files} files, chain intact\n`);
        } else {
          const e = result.error!;
          process.stdout.write(`broken: ${e.file} line ${e.line}: ${e.reason}\n`);
          process.exitCode = 1;
        }
      }),
    );

  withConfigOption(logs.command('query'))
    .description('print the lines matching all filters as JSON lines')
    .option('--dir <dir>', 'log directory (default: from the configuration)')
    .option('--from <time>', 'ISO date or date-time (inclusive)')
    .option('--to <time>', 'ISO date or date-time (inclusive)')
    .option('--client <client_id>', 'partner (DiGA client_id)')
    .option('--status <code>', 'HTTP status')
    .option('--transaction <id>', 'transaction id')
    .action(
      action(
        (
          opts: DirOpts & {
            from?: string;
            to?: string;
            client?: string;
            status?: string;
            transaction?: string;
          },
        ) => {
          if (opts.status !== undefined && !/^\d{3}$/.test(opts.status)) {
            throw new UsageError(`--status ${JSON.stringify(opts.status)} is not an HTTP status code`);
          }
          const fromMs = time('from', opts.from);
          let toMs = time('to', opts.to);
          // a date alone means the whole day
          if (toMs !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(opts.to!)) toMs += 86_399_999;
          for (const line of queryLogs(logDir(opts), {
            fromMs,
            toMs,
            client: opts.client,
            status: opts.status === undefined ? undefined : Number(opts.status),
            transactionId: opts.transaction,
          })) {
            process.stdout.write(`${JSON.stringify(line)}\n`);
          }
        },
      ),
    );
}
