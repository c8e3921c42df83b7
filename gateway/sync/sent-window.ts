// The batches of one connection awaiting their PUBACK, in publish order. Each batch starts right after the one
// before it, so "everything up to here was acknowledged" (the outbox's sent mark) can only move over a gap-free
// run of acknowledged batches at the head: never past a batch still waiting, even if a broker acknowledged a
// later one first.

export interface SentBatch {
  readonly to: number;
  acked: boolean;
}

export class SentWindow {
  private batches: SentBatch[] = [];
  private head = 0;

  /** Every entry up to here was acknowledged. */
  through: number;

  constructor(through = 0) {
    this.through = through;
  }

  /** A batch ending at `to` was published (right after the previous one). */
  push(to: number): SentBatch {
    const b = { to, acked: false };
    this.batches.push(b);
    return b;
  }

  /** Its PUBACK arrived; returns whether `through` moved. */
  ack(b: SentBatch): boolean {
    b.acked = true;
    const before = this.through;
    while (this.head < this.batches.length && this.batches[this.head].acked) {
      const to = this.batches[this.head++].to;
      if (to > this.through) this.through = to;
    }
    if (this.head === this.batches.length) {
      this.batches = [];
      this.head = 0;
    }
    return this.through !== before;
  }

  /** Starts over from `through` (new connection, or entries queued again): earlier batches no longer count. */
  restart(through: number): void {
    this.batches = [];
    this.head = 0;
    this.through = through;
  }

  get size(): number {
    return this.batches.length - this.head;
  }
}
