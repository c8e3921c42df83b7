// Prometheus metrics (prom-client) of the gateway: values that live in the store or in running parts are read
// when scraped (collect callbacks); HTTP and token counters are fed by the DiGA app's hook (http-metrics.ts).
// One registry per process (`gatewayMetrics`); tests make their own.
import { racpTimings } from '../../drivers/ble/racp-client.ts';
import fs from 'node:fs';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { GatewayConfig } from '../../config/types.ts';
import { deviceOverview, pairingCounts } from '../../gateway/store/operator-status.ts';
import { outboxStats } from '../../gateway/store/outbox.ts';
import type { Store } from '../../gateway/store/store.ts';
import type { OperatorProbes } from './probes.ts';

export interface MetricsSource {
  config: GatewayConfig;
  store: Store;
  probes: OperatorProbes;
  now?: () => number;
}

/** File sizes of the SQLite database and its write-ahead log (0 when absent). */
export function sqliteFileBytes(file: string): { db: number; wal: number } {
  const size = (p: string) => {
    try {
      return fs.statSync(p).size;
    } catch {
      return 0;
    }
  };
  return { db: size(file), wal: size(`${file}-wal`) };
}

/** The sync alarm: the publisher's when it runs, else the cap policy applied to the outbox as stored. */
export function syncAlarm(
  source: MetricsSource,
  stats: { entries: number; oldestCreatedMs: number | null },
  nowMs: number,
): { active: boolean; reason: string | null } {
  if (source.probes.publisher) {
    const a = source.probes.publisher.alarm();
    return { active: a.active, reason: a.reason };
  }
  const cap = source.config.mqtt.outbox;
  const ageH = stats.oldestCreatedMs === null ? 0 : (nowMs - stats.oldestCreatedMs) / 3_600_000;
  if (stats.entries > cap.maxEntries || ageH > cap.maxAgeHours) {
    return {
      active: true,
      reason: `outbox holds ${stats.entries} entries, oldest ${Math.round(ageH * 60)} min (cap ${cap.maxEntries} entries / ${cap.maxAgeHours} h)`,
    };
  }
  return { active: false, reason: null };
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private source: MetricsSource | null = null;

  readonly httpRequests = new Counter({
    name: 'hddt_http_requests_total',
    help: 'Requests answered by the DiGA-facing HTTPS server, by route pattern, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'hddt_http_request_duration_seconds',
    help: 'Latency of the DiGA-facing HTTPS server, by route pattern, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly tokenGrants = new Counter({
    name: 'hddt_oauth_token_grants_total',
    help: 'Successful /token responses by grant type',
    labelNames: ['grant_type'] as const,
    registers: [this.registry],
  });
  readonly tokenErrors = new Counter({
    name: 'hddt_oauth_token_errors_total',
    help: 'Failed /token responses by grant type and OAuth error code',
    labelNames: ['grant_type', 'error'] as const,
    registers: [this.registry],
  });
  readonly requestLogDropped = new Counter({
    name: 'hddt_request_log_dropped_lines_total',
    help: 'Request log lines not written (counted in the log instead), by reason: cap, queue_full',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly racpDuration = new Histogram({
    name: 'hddt_ble_racp_duration_seconds',
    help: 'Duration of RACP procedures (record backfill) by service and outcome',
    labelNames: ['service', 'outcome'] as const,
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    // The collect callbacks run with `this` = the metric; they reach the bound source through this getter.
    const source = () => this.source;
    readingCollectors(this.registry, source);
    bleCollectors(this.registry, source);
    outboxCollectors(this.registry, source);
    storeCollectors(this.registry, source);
  }

  /** Points the scrape-time collectors at a running gateway (null: report nothing from it). */
  bind(source: MetricsSource | null): void {
    this.source = source;
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }
}

interface BleDeviceFacts {
  key: string;
  connects: number;
  disconnects: number;
  failures: number;
  connected: boolean;
}

function bleFacts(source: MetricsSource | null): BleDeviceFacts[] {
  const central = source?.probes.ble;
  if (!central) return [];
  return central.status().map((d) => {
    const connected = d.state === 'syncing';
    // Every established link ends in a disconnect, except the one that is up right now.
    return {
      key: d.key,
      connects: d.connects,
      disconnects: d.connects - (connected ? 1 : 0),
      failures: d.failures,
      connected,
    };
  });
}

type SourceOf = () => MetricsSource | null;

/** Readings held and rejected, per device. */
function readingCollectors(registry: Registry, source: SourceOf): void {
  const registers = [registry];
  new Gauge({
    name: 'hddt_readings_stored',
    help: 'Readings held in the store (control tests excluded), by device',
    labelNames: ['device', 'kind'] as const,
    registers,
    collect() {
      this.reset();
      const s = source();
      if (!s) return;
      for (const d of deviceOverview(s.store)) this.set({ device: d.key, kind: d.kind }, d.readings);
    },
  });
  new Gauge({
    name: 'hddt_last_reading_timestamp_seconds',
    help: 'Measurement time of the newest stored reading, by device',
    labelNames: ['device'] as const,
    registers,
    collect() {
      this.reset();
      const s = source();
      if (!s) return;
      for (const d of deviceOverview(s.store)) {
        if (d.last_effective_ms !== null) this.set({ device: d.key }, d.last_effective_ms / 1000);
      }
    },
  });
  new Counter({
    name: 'hddt_readings_rejected_total',
    help: 'Records the drivers refused (never stored), by device and reason',
    labelNames: ['device', 'reason'] as const,
    registers,
    collect() {
      this.reset();
      for (const r of source()?.probes.ble?.counters.list() ?? []) {
        this.inc({ device: r.device, reason: r.reason }, r.count);
      }
    },
  });
}

/** BLE links per device: connects, disconnects, failures, connected now. */
function bleCollectors(registry: Registry, source: SourceOf): void {
  const registers = [registry];
  const bleCounter = (name: string, help: string, pick: (s: BleDeviceFacts) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['device'] as const,
      registers,
      collect() {
        this.reset();
        for (const d of bleFacts(source())) this.inc({ device: d.key }, pick(d));
      },
    });
  bleCounter('hddt_ble_connects_total', 'BLE connections established, by device', (d) => d.connects);
  bleCounter('hddt_ble_disconnects_total', 'BLE connections ended, by device', (d) => d.disconnects);
  bleCounter(
    'hddt_ble_connect_failures_total',
    'Failed BLE connects and syncs, by device',
    (d) => d.failures,
  );
  new Gauge({
    name: 'hddt_ble_connected',
    help: '1 while the device is connected (syncing or receiving live values)',
    labelNames: ['device'] as const,
    registers,
    collect() {
      this.reset();
      for (const d of bleFacts(source())) this.set({ device: d.key }, d.connected ? 1 : 0);
    },
  });
}

/** The MQTT outbox and the sync alarm. */
function outboxCollectors(registry: Registry, source: SourceOf): void {
  const registers = [registry];
  const outbox = () => {
    const s = source();
    if (!s) return null;
    const stats = outboxStats(s.store);
    const now = (s.now ?? Date.now)();
    return { s, stats, now };
  };
  new Gauge({
    name: 'hddt_outbox_entries',
    help: 'Outbox entries not yet confirmed upstream',
    registers,
    collect() {
      const o = outbox();
      this.set(o ? o.stats.entries : 0);
    },
  });
  new Gauge({
    name: 'hddt_outbox_unsent_entries',
    help: 'Outbox entries not yet published',
    registers,
    collect() {
      const o = outbox();
      this.set(o ? o.stats.unsent : 0);
    },
  });
  new Gauge({
    name: 'hddt_outbox_oldest_age_seconds',
    help: 'Age of the oldest outbox entry (0 when empty)',
    registers,
    collect() {
      const o = outbox();
      this.set(o && o.stats.oldestCreatedMs !== null ? (o.now - o.stats.oldestCreatedMs) / 1000 : 0);
    },
  });
  new Gauge({
    name: 'hddt_sync_alarm',
    help: '1 while the outbox is over its cap (mqtt.outbox) or entries were dropped',
    registers,
    collect() {
      const o = outbox();
      this.set(o && syncAlarm(o.s, o.stats, o.now).active ? 1 : 0);
    },
  });
  new Gauge({
    name: 'hddt_sync_connected',
    help: '1 while the MQTT publisher is connected to the broker',
    registers,
    collect() {
      this.set(source()?.probes.publisher?.isConnected ? 1 : 0);
    },
  });
}

/** The database files and the pairings in it. */
function storeCollectors(registry: Registry, source: SourceOf): void {
  const registers = [registry];
  new Gauge({
    name: 'hddt_sqlite_file_bytes',
    help: 'Size of the SQLite database file and its write-ahead log',
    labelNames: ['file'] as const,
    registers,
    collect() {
      const s = source();
      if (!s) return;
      const sizes = sqliteFileBytes(s.store.path);
      this.set({ file: 'db' }, sizes.db);
      this.set({ file: 'wal' }, sizes.wal);
    },
  });
  new Gauge({
    name: 'hddt_pairings_active',
    help: 'DiGA pairings with a valid consent',
    registers,
    collect() {
      const s = source();
      this.set(s ? pairingCounts(s.store, (s.now ?? Date.now)()).active : 0);
    },
  });
}

export const gatewayMetrics = new GatewayMetrics();

// RACP procedure durations come from the BLE drivers as events (the drivers know nothing of metrics).
racpTimings.on('procedure', (service: string, outcome: string, seconds: number) =>
  gatewayMetrics.racpDuration.labels(service, outcome).observe(seconds),
);
