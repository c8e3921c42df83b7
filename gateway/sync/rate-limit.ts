// Token bucket for the drain: at most `perSecond` messages per second, bursts of a tenth of a second's worth
// (a backlog drains as an even stream, not in one-second bursts that fill a slow uplink).
export class RateLimit {
  private tokens: number;
  private last: number;
  private readonly burst: number;

  private readonly perSecond: number;
  private readonly now: () => number;

  constructor(perSecond: number, now: () => number = Date.now) {
    this.perSecond = perSecond;
    this.now = now;
    this.burst = Math.max(1, perSecond / 10);
    this.tokens = this.burst;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.perSecond) / 1000);
    this.last = t;
  }

  /** ms until a message may go (0 = now). Always 0 when unlimited (perSecond 0). */
  wait(): number {
    if (this.perSecond <= 0) return 0;
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.perSecond);
  }

  /** Spends one token (call after wait() returned 0). */
  take(): void {
    if (this.perSecond <= 0) return;
    this.refill();
    this.tokens -= 1;
  }
}
