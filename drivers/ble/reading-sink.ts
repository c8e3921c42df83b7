// The "hand over" step: decoded Readings go to the core's port in batches, either when a batch is full
// (backfill) or at most flushMs after the first one arrived (live values reach the store well within a second).
import { EventEmitter } from 'node:events';
import type { ReadingPort } from '../../gateway/ingest/port.ts';
import type { IngestResult, Reading } from '../../gateway/readings/reading.ts';

/** Observers (metrics, the BLE bench) learn how long each ingest() call took: (records, seconds). */
export const ingestTimings = new EventEmitter<{ batch: [records: number, seconds: number] }>();

export interface ReadingSinkOptions {
  batchSize: number;
  flushMs: number;
  /** Called after each hand-over with the batch the core stored. */
  onResult(batch: Reading[], result: IngestResult): void;
  /** ingest() threw (database trouble): the batch is not stored; the driver re-fetches it on the next sync. */
  onError(batch: Reading[], err: unknown): void;
}

export class ReadingSink {
  private queue: Reading[] = [];
  private timer: NodeJS.Timeout | null = null;

  private readonly port: ReadingPort;
  private readonly opts: ReadingSinkOptions;

  constructor(port: ReadingPort, opts: ReadingSinkOptions) {
    this.port = port;
    this.opts = opts;
  }

  get pending(): number {
    return this.queue.length;
  }

  push(readings: Reading[]): void {
    if (readings.length === 0) return;
    for (const r of readings) this.queue.push(r);
    if (this.queue.length >= this.opts.batchSize) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.opts.flushMs);
    }
  }

  /** Ingests everything queued now. Never throws. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.opts.batchSize);
      let result: IngestResult;
      const started = performance.now();
      try {
        result = this.port.push(batch);
      } catch (err) {
        this.opts.onError(batch, err);
        continue;
      } finally {
        ingestTimings.emit('batch', batch.length, (performance.now() - started) / 1000);
      }
      this.opts.onResult(batch, result);
    }
  }

  close(): void {
    this.flush();
  }
}
