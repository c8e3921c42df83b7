// Capped exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And Jitter"):
// attempt n waits a random time in [min, min(max, min·2ⁿ)], so devices that dropped together (a reset adapter)
// or hubs that lost the broker at the same moment do not come back in lockstep.
export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  /** Source of randomness in [0, 1); tests pass a fixed one. */
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly opts: BackoffOptions;

  constructor(opts: BackoffOptions) {
    this.opts = opts;
  }

  /** The delay before the next attempt; each call doubles the ceiling up to maxMs. */
  next(): number {
    const { minMs, maxMs } = this.opts;
    const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    const r = (this.opts.random ?? Math.random)();
    return Math.round(minMs + (Math.max(ceiling, minMs) - minMs) * r);
  }

  /** After a connection that worked, start again from the minimum. */
  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
