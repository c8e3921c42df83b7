// Ingests readings from a JSON-lines file (one Reading per line), in batches. A bad line is reported with
// its line number and skipped; the lines before and after it are stored as usual.
import fs from 'node:fs';
import readline from 'node:readline';
import type { Store } from '../store/store.ts';
import { ingest, type IngestOptions } from './pipeline.ts';
import type { Reading } from '../readings/reading.ts';

export interface ImportProblem {
  line: number;
  reason: string;
}

export interface ImportSummary {
  read: number;
  stored: number;
  duplicates: number;
  /** Older than the historic data period (only when retention is configured): not stored. */
  expired: number;
  rejected: number;
  problems: ImportProblem[];
}

export interface ImportOptions extends IngestOptions {
  batchSize?: number;
  /** Called after every batch with the bytes consumed so far (for a progress bar). */
  onProgress?: (bytesRead: number, summary: ImportSummary) => void;
}

export async function importJsonLines(
  store: Store,
  file: string,
  opts: ImportOptions = {},
): Promise<ImportSummary> {
  const batchSize = opts.batchSize ?? 1000;
  const summary: ImportSummary = { read: 0, stored: 0, duplicates: 0, expired: 0, rejected: 0, problems: [] };
  const stream = fs.createReadStream(file);
  const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
  let batch: Reading[] = [];
  let lineNumbers: number[] = [];
  let lineNo = 0;

  const flush = () => {
    if (batch.length === 0) return;
    const res = ingest(store, batch, opts);
    summary.stored += res.stored;
    summary.duplicates += res.duplicates;
    summary.expired += res.expired ?? 0;
    for (const r of res.rejected) {
      summary.rejected++;
      summary.problems.push({ line: lineNumbers[r.index], reason: r.reason });
    }
    batch = [];
    lineNumbers = [];
    opts.onProgress?.(stream.bytesRead, summary);
  };

  for await (const text of lines) {
    lineNo++;
    if (text.trim() === '') continue;
    summary.read++;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      summary.rejected++;
      summary.problems.push({ line: lineNo, reason: `not valid JSON (${(err as Error).message})` });
      continue;
    }
    batch.push(value as Reading);
    lineNumbers.push(lineNo);
    if (batch.length >= batchSize) flush();
  }
  flush();
  summary.problems.sort((a, b) => a.line - b.line);
  return summary;
}
