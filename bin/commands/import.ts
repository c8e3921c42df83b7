// `hddt-gateway import <file.jsonl>`: ingests readings from JSON lines with a summary of what happened.
// The format (each field of a Reading) is docs/readings-jsonl.md; an example file is docs/examples/readings.jsonl.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { openGatewayStore } from '../../gateway/open-store.ts';
import { ingestOptionsFromConfig } from '../../gateway/hddt/mapping.ts';
import { importJsonLines } from '../../gateway/ingest/import-jsonl.ts';
import { UsageError, action, configFrom, withConfigOption } from './common.ts';
import { terminalProgress } from './progress.ts';

const DOCS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs');

export function register(program: Command): void {
  withConfigOption(program.command('import'))
    .argument('<file>', 'JSON lines, one Reading per line')
    .option('--json', 'print the summary as JSON')
    .description('ingest readings from a JSON-lines file; bad lines are reported by line number and skipped')
    .addHelpText(
      'after',
      [
        '',
        'Each line is one Reading (gateway/readings/reading.ts), e.g. a blood glucose meter reading:',
        '  {"device":{"key":"import:meter:SN1","transport":"import","kind":"bgm"},"identity":"seq:1",',
        '   "value":112,"unit":"mg/dL","specimen":"capillary","deviceTime":"2025-06-02T07:31:00",',
        '   "receivedAt":"2025-06-02T18:00:05Z","effectiveAt":"2025-06-02T05:31:00Z","clockOffsetMs":0,"raw":"..."}',
        'LO/HI: "flag":"low"|"high" with the range limit as value; no value: "flag":"error","value":null,"flagReason":"...".',
        'CGM readings also carry "session" (startedAt, intervalSeconds, ...). Records older than',
        'hddt.historicDataPeriodDays count as expired and are not stored.',
        `Every field: ${path.join(DOCS, 'readings-jsonl.md')}`,
        `An example with a meter and a CGM: ${path.join(DOCS, 'examples', 'readings.jsonl')}`,
      ].join('\n'),
    )
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
        const bar = terminalProgress('import', 'bytes');
        bar.onProgress(0, size);
        try {
          const summary = await importJsonLines(store, file, {
            ...ingestOptionsFromConfig(config),
            onProgress: (bytes) => bar.onProgress(Math.min(bytes, size)),
          });
          bar.onProgress(size);
          bar.stop();
          for (const p of summary.problems) process.stderr.write(`line ${p.line}: ${p.reason}\n`);
          const { problems: _p, ...counts } = summary;
          process.stdout.write(
            opts.json
              ? `${JSON.stringify(counts)}\n`
              : `read ${counts.read}, stored ${counts.stored}, duplicate ${counts.duplicates}, expired ${counts.expired}, rejected ${counts.rejected}\n`,
          );
        } finally {
          bar.stop();
          store.close();
        }
      }),
    );
}
