// A gateway store with a known data set for the operator tests: 14 days of CGM at 5 min ending one minute
// before `now` (so exactly 288 samples fall into the last 24 h), and 2 days of meter readings.
import { loadConfig } from '../../../config/load.ts';
import type { GatewayConfig } from '../../../config/types.ts';
import { bgSeries, cgmSeries } from '../../../firmware-bridge/synthetic-readings.ts';
import { ingest } from '../../../gateway/ingest/pipeline.ts';
import { openStore, type Store } from '../../../gateway/store/store.ts';
import { attachOutbox } from '../../../gateway/sync/outbox-writer.ts';
import { tempDir } from '../../helpers/tmp.ts';

export const CGM_KEY = 'ble:c0:ff:ee:00:00:01';
export const BGM_KEY = 'ble:c0:ff:ee:00:00:02';
export const CGM_SAMPLES = 14 * 288;

export interface Fixture {
  dir: string;
  store: Store;
  config: GatewayConfig;
  nowMs: number;
  meterReadings: number;
  meterReadings24h: number;
  cleanup(): void;
}

export function operatorFixture(overrides: Record<string, unknown> = {}): Fixture {
  const { dir, cleanup } = tempDir('hddt-operator-');
  const config = loadConfig({
    env: {},
    overrides: { dataDir: dir, timezone: 'Europe/Berlin', ...overrides },
  });
  const store = openStore({ path: `${dir}/hddt.sqlite` });
  const detach = attachOutbox(store);
  const nowMs = Math.floor(Date.now() / 60_000) * 60_000;
  const start = nowMs - 60_000 - (CGM_SAMPLES - 1) * 300_000;
  ingest(
    store,
    cgmSeries({ deviceKey: CGM_KEY, sessionStart: new Date(start), count: CGM_SAMPLES, intervalMinutes: 5 }),
    { now: new Date(nowMs) },
  );
  const meter = bgSeries({ deviceKey: BGM_KEY, start: new Date(nowMs - 2 * 86_400_000), days: 2, perDay: 4 });
  const stored = meter.filter((r) => Date.parse(r.effectiveAt) <= nowMs);
  ingest(store, stored, { now: new Date(nowMs) });
  detach();
  const meterReadings24h = stored.filter((r) => Date.parse(r.effectiveAt) >= nowMs - 86_400_000).length;
  return {
    dir,
    store,
    config,
    nowMs,
    meterReadings: stored.length,
    meterReadings24h,
    cleanup() {
      store.close();
      cleanup();
    },
  };
}
