// Capped exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And Jitter"):
// a fleet of hubs that lost the broker at the same moment does not reconnect in lockstep.
export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  constructor(private readonly opts: BackoffOptions) {}

  /** Delay before the next attempt: uniform in [min, min(max, min * 2^attempt)]. */
  next(): number {
    const cap = Math.min(this.opts.maxMs, this.opts.minMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    const r = (this.opts.random ?? Math.random)();
    return Math.round(this.opts.minMs + r * (cap - this.opts.minMs));
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
