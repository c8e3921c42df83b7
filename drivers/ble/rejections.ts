// Counters of what the BLE drivers refused, per device and reason (crc-mismatch, malformed, invalid-reading,
// ...), for the metrics endpoint and the status page. Rejected records are never stored.
export type RejectionReason =
  'crc-mismatch' | 'malformed' | 'unknown-time' | 'invalid-reading' | 'orphan-context';

export class RejectionCounters {
  private readonly counts = new Map<string, Map<string, number>>();

  add(deviceKey: string, reason: RejectionReason, n = 1): void {
    let byReason = this.counts.get(deviceKey);
    if (!byReason) this.counts.set(deviceKey, (byReason = new Map()));
    byReason.set(reason, (byReason.get(reason) ?? 0) + n);
  }

  get(deviceKey: string, reason?: RejectionReason): number {
    const byReason = this.counts.get(deviceKey);
    if (!byReason) return 0;
    if (reason) return byReason.get(reason) ?? 0;
    let n = 0;
    for (const v of byReason.values()) n += v;
    return n;
  }

  /** One row per device and reason. */
  list(): Array<{ device: string; reason: string; count: number }> {
    const out: Array<{ device: string; reason: string; count: number }> = [];
    for (const [device, byReason] of this.counts)
      for (const [reason, count] of byReason) out.push({ device, reason, count });
    return out;
  }
}
