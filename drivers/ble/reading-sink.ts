// The "hand over" step: decoded Readings go to ingest() in batches, either when a batch is full (backfill) or
// at most flushMs after the first one arrived (live values reach the store well within a second).
import { EventEmitter } from 'node:events';
import { ingest } from '../../gateway/readings/ingest.ts';
import type { IngestResult, Reading } from '../../gateway/readings/reading.ts';
import type { MappingOptions } from '../../gateway/hddt/materialize.ts';
import type { Store } from '../../gateway/store/store.ts';

/** Observers (metrics, the BLE bench) learn how long each ingest() call took: (records, seconds). */
export const ingestTimings = new EventEmitter<{ batch: [records: number, seconds: number] }>();

export interface ReadingSinkOptions {
  batchSize: number;
  flushMs: number;
  mapping?: MappingOptions;
  /** Called after each ingest() with the batch it stored. */
  onResult(batch: Reading[], result: IngestResult): void;
  /** ingest() threw (database trouble): the batch is not stored; the driver re-fetches it on the next sync. */
  onError(batch: Reading[], err: unknown): void;
}

export class ReadingSink {
  private queue: Reading[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: Store,
    private readonly opts: ReadingSinkOptions,
  ) {}

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
        result = ingest(this.store, batch, this.opts.mapping ? { mapping: this.opts.mapping } : {});
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
