// Shared CLI plumbing: configuration loading and clean failures (exit code 2, one line, no stack trace).
import type { Command } from 'commander';
import { ConfigError, dataPath, ensureDataDir, loadConfig } from '../../config/load.ts';
import type { GatewayConfig } from '../../config/types.ts';

export class UsageError extends Error {}

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

/** Runs a command body; expected failures print one line and exit 2, unexpected ones exit 1. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void) {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`hddt-gateway: invalid configuration:\n${err.message}\n`);
        process.exitCode = 2;
      } else if (err instanceof UsageError) {
        process.stderr.write(`hddt-gateway: ${err.message}\n`);
        process.exitCode = 2;
      } else {
        process.stderr.write(`hddt-gateway: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = 1;
      }
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
