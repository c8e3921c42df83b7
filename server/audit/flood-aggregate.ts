// Requests without a client certificate and 429 answers are what a flood is made of (anyone can send them to a
// server on all interfaces: 3.3 MB/s of request log was measured). They are counted per client address, minute
// and kind, and written as one line each when the minute ends (or at shutdown), not one line per request. The
// number of addresses per minute and kind is bounded; the rest are counted together under `*`.
import { randomUUID } from 'node:crypto';
import type { AggregateInfo, RequestLogFields } from './request-log-line.ts';

export type FloodKind = AggregateInfo['kind'];

export interface FloodHit {
  kind: FloodKind;
  address: string;
  interfaceId: string;
  partnerId: string | null;
  status: number;
  bytes: number;
  responseMs: number;
}

interface Count {
  kind: FloodKind;
  address: string;
  partnerId: string | null;
  count: number;
  bytes: number;
  maxMs: number;
  interfaces: Map<string, number>;
  statuses: Map<number, number>;
}

export interface FloodAggregatorOptions {
  maxAddresses: number;
  now: () => Date;
  emit: (fields: RequestLogFields) => void;
}

const MINUTE_MS = 60_000;
export const OTHER_ADDRESSES = '*';

const bump = <K>(m: Map<K, number>, k: K) => m.set(k, (m.get(k) ?? 0) + 1);

export class FloodAggregator {
  /** minute start (ms) → `kind address` → counts */
  private readonly minutes = new Map<number, Map<string, Count>>();

  private readonly opts: FloodAggregatorOptions;

  constructor(opts: FloodAggregatorOptions) {
    this.opts = opts;
  }

  add(hit: FloodHit): void {
    const minute = Math.floor(this.opts.now().getTime() / MINUTE_MS) * MINUTE_MS;
    let counts = this.minutes.get(minute);
    if (!counts) {
      counts = new Map();
      this.minutes.set(minute, counts);
    }
    let key = `${hit.kind} ${hit.address}`;
    let c = counts.get(key);
    if (!c && counts.size >= this.opts.maxAddresses) {
      key = `${hit.kind} ${OTHER_ADDRESSES}`;
      c = counts.get(key);
    }
    if (!c) {
      c = {
        kind: hit.kind,
        address: key.slice(hit.kind.length + 1),
        partnerId: hit.partnerId,
        count: 0,
        bytes: 0,
        maxMs: 0,
        interfaces: new Map(),
        statuses: new Map(),
      };
      counts.set(key, c);
    }
    c.count++;
    c.bytes += hit.bytes;
    c.maxMs = Math.max(c.maxMs, hit.responseMs);
    bump(c.interfaces, hit.interfaceId);
    bump(c.statuses, hit.status);
  }

  /** Writes the minutes that have ended (all of them with `all`, at shutdown). */
  flush(all = false): void {
    const nowMs = this.opts.now().getTime();
    for (const [minute, counts] of [...this.minutes].sort((a, b) => a[0] - b[0])) {
      if (!all && minute + MINUTE_MS > nowMs) continue;
      this.minutes.delete(minute);
      const end = Math.min(minute + MINUTE_MS, nowMs);
      for (const c of counts.values()) this.opts.emit(this.line(c, minute, end, nowMs));
    }
  }

  private line(c: Count, startMs: number, endMs: number, nowMs: number): RequestLogFields {
    const interfaces = Object.fromEntries(c.interfaces);
    const statuses = Object.fromEntries([...c.statuses].map(([s, n]) => [String(s), n]));
    const top = [...c.statuses].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
    const names = Object.keys(interfaces);
    const what = c.kind === 'throttled' ? 'answered 429' : 'without a client certificate';
    const list = (m: Record<string, number>) =>
      Object.entries(m)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ');
    const period = { start: new Date(startMs).toISOString(), end: new Date(endMs).toISOString() };
    return {
      timestamp: new Date(nowMs).toISOString(),
      transaction_id: randomUUID(),
      pairing_id: null,
      partner_id: c.partnerId,
      client_id: null,
      interface_id: names.length === 1 ? names[0]! : 'multiple',
      event_type: 'Connection',
      status: top,
      error_code: c.kind === 'throttled' ? 'rate_limited' : 'no_client_certificate',
      error_description: `${c.count} requests ${what} from ${c.address} in the minute from ${period.start}`,
      response_time_ms: c.maxMs,
      data_volume_bytes: c.bytes,
      message: `aggregated: ${list(interfaces)}; status ${list(statuses)}`,
      aggregate: {
        kind: c.kind,
        client_address: c.address,
        count: c.count,
        period_start: period.start,
        period_end: period.end,
        interfaces,
        statuses,
      },
    };
  }
}
