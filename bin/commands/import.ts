// `hddt-gateway import <file.jsonl>`: ingests readings from JSON lines with a summary of what happened.
import fs from 'node:fs';
import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { openGatewayStore } from '../../gateway/app.ts';
import { ingestOptionsFromConfig } from '../../gateway/hddt/materialize.ts';
import { importJsonLines } from '../../gateway/readings/import-jsonl.ts';
import { UsageError, action, configFrom, withConfigOption } from './common.ts';

export function register(program: Command): void {
  withConfigOption(program.command('import'))
    .argument('<file>', 'JSON lines, one Reading per line')
    .option('--json', 'print the summary as JSON')
    .description('ingest readings from a JSON-lines file; bad lines are reported by line number and skipped')
    .action(
      action(async (file: string, opts: { config?: string; json?: boolean }) => {
        let size: number;
        try {
          size = fs.statSync(file).size;
        } catch {
          throw new UsageError(`cannot read ${file}: no such file`);
        }
        const config = configFrom(opts);
        const store = openGatewayStore(config);
        const bar = process.stderr.isTTY
          ? new SingleBar(
              { format: 'import [{bar}] {percentage}% | {value}/{total} bytes', stream: process.stderr },
              Presets.shades_classic,
            )
          : undefined;
        bar?.start(size, 0);
        try {
          const summary = await importJsonLines(store, file, {
            ...ingestOptionsFromConfig(config),
            onProgress: (bytes) => bar?.update(Math.min(bytes, size)),
          });
          bar?.update(size);
          bar?.stop();
          for (const p of summary.problems) process.stderr.write(`line ${p.line}: ${p.reason}\n`);
          const { problems: _p, ...counts } = summary;
          process.stdout.write(
            opts.json
              ? `${JSON.stringify(counts)}\n`
              : `read ${counts.read}, stored ${counts.stored}, duplicate ${counts.duplicates}, expired ${counts.expired}, rejected ${counts.rejected}\n`,
          );
        } finally {
          bar?.stop();
          store.close();
        }
      }),
    );
}
