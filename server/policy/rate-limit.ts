// Fixed-window request counters per key (client, pairing). In memory: a restart forgets the windows,
// which only ever errs towards letting a request through.
export interface RateRule {
  max: number;
  windowSeconds: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export class RateLimiter {
  private readonly windows = new Map<string, { startMs: number; count: number }>();
  private lastSweepMs = 0;

  private readonly rule: RateRule;

  constructor(rule: RateRule) {
    this.rule = rule;
  }

  /** Counts one request for `key` at `nowMs`. */
  hit(key: string, nowMs: number): RateDecision {
    if (this.rule.max <= 0) return { allowed: true };
    const windowMs = this.rule.windowSeconds * 1000;
    this.sweep(nowMs, windowMs);
    let w = this.windows.get(key);
    if (!w || nowMs - w.startMs >= windowMs) {
      w = { startMs: nowMs - (nowMs % windowMs), count: 0 };
      this.windows.set(key, w);
    }
    if (w.count >= this.rule.max) {
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil((w.startMs + windowMs - nowMs) / 1000)),
      };
    }
    w.count++;
    return { allowed: true };
  }

  /** Drops finished windows now and then, so the map stays as small as the set of active keys. */
  private sweep(nowMs: number, windowMs: number): void {
    if (nowMs - this.lastSweepMs < windowMs) return;
    this.lastSweepMs = nowMs;
    for (const [k, w] of this.windows) if (nowMs - w.startMs >= windowMs) this.windows.delete(k);
  }
}
