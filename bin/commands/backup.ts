// `hddt-gateway backup <file>` and `hddt-gateway restore <file>`: encrypted snapshots of the data directory.
import fs from 'node:fs';
import type { Command } from 'commander';
import { dataPath } from '../../config/load.ts';
import { openGatewayStore } from '../../gateway/open-store.ts';
import { createBackup } from '../../gateway/backup/backup.ts';
import { BackupError, type BackupKeySource } from '../../gateway/backup/format.ts';
import { restoreBackup } from '../../gateway/backup/restore.ts';
import { UsageError, action, configForReading, configFrom, withConfigOption } from './common.ts';
import { terminalProgress } from './progress.ts';

interface KeyOptions {
  keyFile?: string;
  passphraseFile?: string;
}

/** The key comes from a file or HDDT_BACKUP_PASSPHRASE, never from the command line (visible in `ps`). */
function keySource(opts: KeyOptions): BackupKeySource {
  const read = (f: string) => {
    try {
      return fs.readFileSync(f);
    } catch {
      throw new UsageError(`cannot read ${f}`);
    }
  };
  if (opts.keyFile) return { keyFile: read(opts.keyFile) };
  if (opts.passphraseFile)
    return {
      passphrase: read(opts.passphraseFile)
        .toString('utf8')
        .replace(/\r?\n$/, ''),
    };
  const env = process.env.HDDT_BACKUP_PASSPHRASE;
  if (env) return { passphrase: env };
  throw new UsageError('give --key-file, --passphrase-file or HDDT_BACKUP_PASSPHRASE');
}

function withKeyOptions(cmd: Command): Command {
  return cmd
    .option('--key-file <file>', 'file with a 32-byte key (raw or 64 hex characters)')
    .option('--passphrase-file <file>', 'file whose first line is the passphrase (scrypt-derived key)');
}

export function register(program: Command): void {
  withKeyOptions(withConfigOption(program.command('backup')))
    .argument('<file>', 'where to write the encrypted backup')
    .description('consistent online snapshot of the database and data directory, encrypted (AES-256-GCM)')
    .action(
      action(async (file: string, opts: KeyOptions & { config?: string }) => {
        const key = keySource(opts);
        const config = configFrom(opts);
        const store = openGatewayStore(config);
        const bar = terminalProgress('backup', 'bytes');
        try {
          const res = await createBackup({
            store,
            dataDir: dataPath(config),
            out: file,
            key,
            onProgress: bar.onProgress,
          });
          bar.stop();
          process.stdout.write(
            `backup written to ${res.file}: ${res.entries.length} files, ${res.bytes} bytes\n`,
          );
        } finally {
          bar.stop();
          store.close();
        }
      }),
    );

  withKeyOptions(withConfigOption(program.command('restore')))
    .argument('<file>', 'an encrypted backup made by `hddt-gateway backup`')
    .description(
      'decrypt and unpack a backup into an empty data directory (refuses wrong keys and damaged files)',
    )
    .action(
      action(async (file: string, opts: KeyOptions & { config?: string }) => {
        if (!fs.existsSync(file)) throw new UsageError(`cannot read ${file}: no such file`);
        const key = keySource(opts);
        const config = configForReading(opts);
        const bar = terminalProgress('restore', 'bytes');
        try {
          const res = await restoreBackup({
            file,
            dataDir: dataPath(config),
            key,
            onProgress: bar.onProgress,
          });
          bar.stop();
          process.stdout.write(`restored ${res.entries.length} files into ${dataPath(config)}\n`);
        } catch (err) {
          bar.stop();
          if (err instanceof BackupError) throw new UsageError(err.message);
          if (err instanceof Error && err.message.startsWith('restore needs an empty'))
            throw new UsageError(err.message);
          throw err;
        }
      }),
    );
}
