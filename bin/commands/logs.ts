// `hddt-gateway logs verify|query`: the HDDT request log (server/audit/request-log.ts) — check the chain against
// the key and head kept in the database, and filter lines by period, client, interface, status, transaction.
import fs from 'node:fs';
import type { Command } from 'commander';
import { dataPath, loadConfig } from '../../config/load.ts';
import type { GatewayConfig } from '../../config/types.ts';
import { requestLogSettings } from '../../server/audit/request-log-settings.ts';
import { queryLogs, verifyLogsAt, type VerifyResult } from '../../server/audit/request-log-verify.ts';
import { action, UsageError, withConfigOption } from './common.ts';

interface DirOpts {
  config?: string;
  dir?: string;
  db?: string;
}

/** Reading the log creates nothing: no data directory, no database. */
function configOf(opts: DirOpts): GatewayConfig {
  return loadConfig({ file: opts.config });
}

function logDir(opts: DirOpts, config: GatewayConfig): string {
  return opts.dir ?? dataPath(config, requestLogSettings(config).dir);
}

function time(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(ms))
    throw new UsageError(`--${name} ${JSON.stringify(value)} is not an ISO date or date-time`);
  return ms;
}

export function verifyReport(r: VerifyResult): string {
  if (!r.ok) {
    const e = r.error!;
    return `broken: ${e.file}${e.line > 0 ? ` line ${e.line}` : ''}: ${e.reason}\n`;
  }
  const extra = [
    r.prunedDays > 0 ? `${r.prunedDays} earlier days deleted by retention (recorded)` : '',
    r.unrecordedLines > 0 ? `${r.unrecordedLines} lines past the recorded head` : '',
  ].filter(Boolean);
  return `ok: ${r.lines} lines in ${r.files} files, chain intact through sequence ${r.lastSeq}${extra.length ? `; ${extra.join('; ')}` : ''}\n`;
}

export function register(program: Command): void {
  const logs = program.command('logs').description('HDDT request log: verify the hash chain, query lines');

  withConfigOption(logs.command('verify'))
    .description(
      'check every line against the key and head in the database; exit 1 at the first edited, missing or deleted line',
    )
    .option('--dir <dir>', 'log directory (default: from the configuration)')
    .option('--db <file>', 'database holding the key and head (default: from the configuration)')
    .action(
      action((opts: DirOpts) => {
        const config = configOf(opts);
        const db = opts.db ?? dataPath(config, config.store.file);
        if (!fs.existsSync(db))
          throw new UsageError(`no database at ${db}: it holds the request log's key and head (--db FILE)`);
        const result = verifyLogsAt(logDir(opts, config), db, {
          retentionDays: requestLogSettings(config).retentionDays,
        });
        process.stdout.write(verifyReport(result));
        if (!result.ok) process.exitCode = 1;
      }),
    );

  withConfigOption(logs.command('query'))
    .description('print the lines matching all filters as JSON lines')
    .option('--dir <dir>', 'log directory (default: from the configuration)')
    .option('--from <time>', 'ISO date or date-time (inclusive)')
    .option('--to <time>', 'ISO date or date-time (inclusive)')
    .option('--client <client_id>', 'the DiGA client_id')
    .option('--interface <id>', 'interface, e.g. oauth:token or fhir:Observation:search-type')
    .option('--status <code>', 'HTTP status')
    .option('--transaction <id>', 'transaction id')
    .action(
      action(
        (
          opts: DirOpts & {
            from?: string;
            to?: string;
            client?: string;
            interface?: string;
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
          for (const line of queryLogs(logDir(opts, configOf(opts)), {
            fromMs,
            toMs,
            client: opts.client,
            interfaceId: opts.interface,
            status: opts.status === undefined ? undefined : Number(opts.status),
            transactionId: opts.transaction,
          })) {
            process.stdout.write(`${JSON.stringify(line)}\n`);
          }
        },
      ),
    );
}
