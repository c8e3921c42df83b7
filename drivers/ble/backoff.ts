// Capped exponential backoff with full jitter: attempt n waits a random time in [min, min(max, min·2ⁿ)].
// Jitter keeps several devices that dropped together (a reset adapter) from reconnecting in lock-step.
export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  /** Source of randomness in [0, 1); tests pass a fixed one. */
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  constructor(private readonly opts: BackoffOptions) {}

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
