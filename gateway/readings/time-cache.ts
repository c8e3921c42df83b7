// Parsing ISO times is the most expensive step of validating a reading; a batch repeats the same session
// strings thousands of times and needs each reading's own times twice (validate, then store). One cache per batch.
export class TimeCache {
  private readonly ms = new Map<string, number>();
  private readonly iso = new Map<string, string>();

  /** Epoch ms of an ISO time, NaN when it does not parse. */
  parse(s: string): number {
    let v = this.ms.get(s);
    if (v === undefined) {
      v = Date.parse(s);
      this.ms.set(s, v);
    }
    return v;
  }

  /** The canonical UTC ISO form (`...Z` with milliseconds) of a valid time. */
  canonical(s: string): string {
    let v = this.iso.get(s);
    if (v === undefined) {
      v = new Date(this.parse(s)).toISOString();
      this.iso.set(s, v);
    }
    return v;
  }
}
