// The facts of the status page, gathered once per request: devices with connection state, last reading and
// session, the MQTT outbox backlog, pairings, recent warnings/errors, and the glucose chart data. The same
// snapshot is the page, /status.json and `hddt-gateway status`. No patient accounts appear anywhere in it.
import path from 'node:path';
import type { GatewayConfig } from '../../config/types.ts';
import {
  deviceOverview,
  glucoseSamples,
  type DeviceOverviewRow,
  pairingCounts,
  storeAlive,
} from '../../gateway/store/operator-status.ts';
import { outboxStats } from '../../gateway/store/outbox.ts';
import type { Store } from '../../gateway/store/store.ts';
import { agpProfile, type AgpProfile, type GlucoseSample } from '../../gateway/hddt/agp.ts';
import { toMgdl } from './charts.ts';
import { sqliteFileBytes, syncAlarm } from './metrics.ts';
import type { OperatorProbes } from './probes.ts';

export interface StatusSource {
  config: GatewayConfig;
  store: Store;
  /** Live process facts; null when read from the database alone (`hddt-gateway status` without a gateway). */
  probes: OperatorProbes | null;
}

export interface DeviceView {
  key: string;
  kind: 'cgm' | 'bgm';
  transport: string;
  manufacturer: string | null;
  model: string | null;
  serialNumber: string | null;
  /** BLE link state (idle, queued, connecting, syncing, waiting); null when not known to a running central. */
  connection: string | null;
  /** How the last BLE sync ended (synced, disconnected, failed, connect-failed). */
  lastOutcome: string | null;
  lastSeenAt: string | null;
  lastReading: {
    at: string;
    ageSeconds: number;
    value: number | null;
    unit: string | null;
    /** low / high / error as the device flagged it, with the device's reason. */
    flag: string | null;
    flagReason: string | null;
  } | null;
  session: {
    startedAt: string;
    expiresAt: string | null;
    expiresInSeconds: number | null;
    expired: boolean;
  } | null;
  readingsStored: number;
  rejected: number | null;
}

export interface StatusSnapshot {
  generatedAt: string;
  gatewayId: string;
  /** live: from the running gateway; database: from the store alone (no connection state, no events). */
  source: 'live' | 'database';
  ready: boolean;
  uptimeSeconds: number | null;
  parts: Array<{ name: string; enabled: boolean; running: boolean | null }>;
  store: { file: string; bytes: number; walBytes: number };
  devices: DeviceView[];
  sync: {
    enabled: boolean;
    connected: boolean | null;
    entries: number;
    unsent: number;
    oldestAgeSeconds: number | null;
    alarm: { active: boolean; reason: string | null };
  };
  pairings: { active: number; total: number };
  /** The hub clock as the retention job last saw it; null: not checked (or not the live gateway). */
  hubClock: { synchronized: boolean; source: string; detail: string | null } | null;
  recentEvents: Array<{ at: string; level: string; component: string | null; message: string }>;
  glucose: {
    last24h: { cgmSamples: number; meterReadings: number };
    agp14d: { samples: number; timeInRange: AgpProfile['timeInRange'] };
  };
}

export interface GlucoseCharts {
  fromMs: number;
  toMs: number;
  cgm24h: GlucoseSample[];
  meter24h: GlucoseSample[];
  agp: AgpProfile;
}

const DAY_MS = 86_400_000;

/** A device as the running BLE central reports it. */
type DeviceStatus = ReturnType<NonNullable<OperatorProbes['ble']>['status']>[number];

/** The chart data: last 24 h of CGM samples and meter readings, and the AGP of the last 14 days of CGM. */
export function glucoseCharts(source: StatusSource, nowMs: number): GlucoseCharts {
  const rows = glucoseSamples(source.store, nowMs - 14 * DAY_MS, nowMs);
  const from24 = nowMs - DAY_MS;
  const cgm: GlucoseSample[] = [];
  const cgm24h: GlucoseSample[] = [];
  const meter24h: GlucoseSample[] = [];
  for (const r of rows) {
    const s = { atMs: r.effective_ms, mgdl: toMgdl(r.value, r.unit) };
    if (r.kind === 'cgm') {
      cgm.push(s);
      if (r.effective_ms >= from24) cgm24h.push(s);
    } else if (r.effective_ms >= from24) meter24h.push(s);
  }
  return {
    fromMs: from24,
    toMs: nowMs,
    cgm24h,
    meter24h,
    agp: agpProfile(cgm, { timeZone: source.config.timezone }),
  };
}

/** Ready = the store answers and every enabled part reported that it runs. */
export function readiness(source: StatusSource): { ready: boolean; missing: string[] } {
  // The operator server answers this very request, so it runs; the others must have reported.
  const missing = partList(source)
    .filter((p) => p.enabled && p.running === false && p.name !== 'operator')
    .map((p) => p.name);
  const storeOk = storeAlive(source.store);
  if (!storeOk) missing.unshift('store');
  return { ready: storeOk && missing.length === 0, missing };
}

function partList(source: StatusSource): StatusSnapshot['parts'] {
  const c = source.config;
  const running = (name: string) => (source.probes ? source.probes.started.has(name) : null);
  return [
    { name: 'ble', enabled: c.ble.enabled, running: c.ble.enabled ? running('ble') : null },
    { name: 'serial', enabled: c.serial.enabled, running: null },
    { name: 'server', enabled: c.server.enabled, running: c.server.enabled ? running('server') : null },
    { name: 'mqtt', enabled: c.mqtt.enabled, running: c.mqtt.enabled ? running('mqtt') : null },
    // Whoever reads live facts got them from the operator server: it runs.
    { name: 'operator', enabled: c.operator.enabled, running: source.probes ? true : null },
  ];
}

function storedDeviceView(
  d: DeviceOverviewRow,
  live: DeviceStatus | undefined,
  source: StatusSource,
  nowMs: number,
): DeviceView {
  const { probes } = source;
  const expiresMs = d.session_expires_at ? Date.parse(d.session_expires_at) : null;
  return {
    key: d.key,
    kind: d.kind,
    transport: d.transport,
    manufacturer: d.manufacturer,
    model: d.model,
    serialNumber: d.serial_number,
    connection: live?.state ?? null,
    lastOutcome: live?.lastOutcome ?? null,
    lastSeenAt: new Date(d.last_seen_ms).toISOString(),
    lastReading:
      d.last_effective_ms === null
        ? null
        : {
            at: new Date(d.last_effective_ms).toISOString(),
            ageSeconds: Math.round((nowMs - d.last_effective_ms) / 1000),
            value: d.last_value,
            unit: d.last_unit,
            flag: d.last_flag,
            flagReason: d.last_flag_reason,
          },
    session: d.session_started_at
      ? {
          startedAt: d.session_started_at,
          expiresAt: d.session_expires_at,
          expiresInSeconds: expiresMs === null ? null : Math.round((expiresMs - nowMs) / 1000),
          expired: expiresMs !== null && expiresMs <= nowMs,
        }
      : null,
    readingsStored: d.readings,
    rejected: probes?.ble ? probes.ble.counters.get(d.key) : null,
  };
}

/** A device the central sees that has not delivered a reading yet. */
function liveOnlyDeviceView(live: DeviceStatus, source: StatusSource): DeviceView {
  return {
    key: live.key,
    kind: live.family === 'cgm' ? 'cgm' : 'bgm',
    transport: 'ble',
    manufacturer: null,
    model: null,
    serialNumber: null,
    connection: live.state,
    lastOutcome: live.lastOutcome ?? null,
    lastSeenAt: null,
    lastReading: null,
    session: null,
    readingsStored: 0,
    rejected: source.probes?.ble?.counters.get(live.key) ?? null,
  };
}

/** The stored devices with their live state, then the devices only the BLE central knows. */
function deviceViews(source: StatusSource, nowMs: number): DeviceView[] {
  const ble = new Map((source.probes?.ble?.status() ?? []).map((d) => [d.key, d]));
  const devices = deviceOverview(source.store).map((d) => {
    const live = ble.get(d.key);
    ble.delete(d.key);
    return storedDeviceView(d, live, source, nowMs);
  });
  for (const live of ble.values()) devices.push(liveOnlyDeviceView(live, source));
  return devices;
}

function syncView(source: StatusSource, nowMs: number): StatusSnapshot['sync'] {
  const { config, store, probes } = source;
  const stats = outboxStats(store);
  return {
    enabled: config.mqtt.enabled,
    connected: probes?.publisher ? probes.publisher.isConnected : null,
    entries: stats.entries,
    unsent: stats.unsent,
    oldestAgeSeconds:
      stats.oldestCreatedMs === null ? null : Math.round((nowMs - stats.oldestCreatedMs) / 1000),
    alarm: syncAlarm({ config, store, probes: probes ?? emptyProbes }, stats, nowMs),
  };
}

export function collectStatus(source: StatusSource, nowMs: number, charts?: GlucoseCharts): StatusSnapshot {
  const { config, store, probes } = source;
  const devices = deviceViews(source, nowMs);
  const sizes = sqliteFileBytes(store.path);
  const ch = charts ?? glucoseCharts(source, nowMs);
  return {
    generatedAt: new Date(nowMs).toISOString(),
    gatewayId: config.gatewayId,
    source: probes ? 'live' : 'database',
    ready: probes ? readiness(source).ready : false,
    uptimeSeconds: probes ? Math.round((nowMs - probes.processStartMs) / 1000) : null,
    parts: partList(source),
    store: { file: path.basename(store.path), bytes: sizes.db, walBytes: sizes.wal },
    devices,
    sync: syncView(source, nowMs),
    pairings: pairingCounts(store, nowMs),
    hubClock: probes?.hubClock
      ? {
          synchronized: probes.hubClock.synchronized,
          source: probes.hubClock.source,
          detail: probes.hubClock.detail ?? null,
        }
      : null,
    recentEvents: (probes?.events.list() ?? []).map((e) => ({
      at: new Date(e.atMs).toISOString(),
      level: e.level,
      component: e.component,
      message: e.message,
    })),
    glucose: {
      last24h: { cgmSamples: ch.cgm24h.length, meterReadings: ch.meter24h.length },
      agp14d: { samples: ch.agp.samples, timeInRange: ch.agp.timeInRange },
    },
  };
}

const emptyProbes = { publisher: null } as unknown as OperatorProbes;
