// Shared CLI plumbing: configuration loading and clean failures (exit code 2, one line, no stack trace).
import { GatewayError, exitCodeOf } from '../../lib/errors.ts';
import type { Command } from 'commander';
import { ConfigError, dataPath, ensureDataDir, loadConfig } from '../../config/load.ts';
import type { GatewayConfig } from '../../config/types.ts';

export class UsageError extends GatewayError {
  constructor(message: string) {
    super('ERR_USAGE', message);
  }
}

/** An option's ISO 8601 time with a zone (2026-01-31T08:00:00Z) as epoch ms; anything else is a usage error. */
export function parseIsoTime(value: string, option: string): number {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(value) || Number.isNaN(ms))
    throw new UsageError(
      `${option} must be an ISO 8601 time with a zone (2026-01-31T08:00:00Z), got ${value}`,
    );
  return ms;
}

export function withConfigOption(cmd: Command): Command {
  return cmd.option('-c, --config <file>', 'configuration file (JSON) overriding the defaults');
}

/**
 * Loads the configuration and makes the data directory. When it is made now, says so on stderr: a command
 * run without --config would otherwise leave a ./data folder wherever it was started, unannounced.
 */
export function configFrom(opts: { config?: string }, overrides?: Record<string, unknown>): GatewayConfig {
  const config = loadConfig({ file: opts.config, overrides });
  if (ensureDataDir(config)) process.stderr.write(dataDirNotice(dataPath(config)));
  return config;
}

/** Loads the configuration and makes nothing: for commands that only read (status) or make dataDir themselves (restore). */
export function configForReading(opts: { config?: string }): GatewayConfig {
  return loadConfig({ file: opts.config });
}

function dataDirNotice(dir: string): string {
  return (
    `hddt-gateway: created the data directory ${dir} (database, keys, logs); ` +
    `to keep data elsewhere set dataDir in a --config file or HDDT_DATA_DIR=<folder>\n`
  );
}

/**
 * Runs a command body; a failure prints one line (a configuration error its list of keys) and exits with the
 * code the error catalogue gives it (2 for bad input or configuration, 1 for anything unexpected).
 */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void) {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      process.stderr.write(
        err instanceof ConfigError
          ? `hddt-gateway: invalid configuration:\n${message}\n`
          : `hddt-gateway: ${message}\n`,
      );
      process.exitCode = exitCodeOf(err);
    }
  };
}

/**
 * Holds the process open (parts may only have unref'd timers) until SIGINT or SIGTERM arrives.
 * noble's HCI binding calls process.exit(1) on SIGINT when its own listener is the last one, which would
 * skip our clean stop: our listener is kept last, even when a part adds its listener later.
 */
export function untilStopSignal(log: { info: (obj: object, msg: string) => void }): Promise<void> {
  const keepAlive = setInterval(() => undefined, 1 << 30);
  return new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'stopping');
      clearInterval(keepAlive);
      process.removeListener('SIGINT', onInt);
      process.removeListener('SIGTERM', onTerm);
      process.removeListener('newListener', keepLast);
      resolve();
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    const keepLast = (event: string | symbol) => {
      if (event !== 'SIGINT') return;
      setImmediate(() => {
        process.removeListener('SIGINT', onInt);
        process.on('SIGINT', onInt);
      });
    };
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    process.on('newListener', keepLast);
  });
}
