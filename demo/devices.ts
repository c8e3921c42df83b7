// The demo's devices: the virtual BLE controller with the demo scenario's CGM (14 days of history, one
// record a minute) and glucose meter, a clock that adds the CGM's live records (catching up at `speed`×
// from `catchUpMinutes` in the past, then one per real minute, so record times never run ahead of the
// wall clock), and a simulated OneTouch Ultra 2 on a pty (socat) that the gateway dumps periodically.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { utcToLocalTime } from '../drivers/serial/local-time.ts';
import { dumpMeter, type DumpResult } from '../drivers/serial/run-dump.ts';
import type { CgmSimulator } from '../firmware-bridge/peripherals/cgm-simulator.ts';
import { loadScenario, startSimulation, type Simulation } from '../firmware-bridge/peripherals/index.ts';
import { createMeterPty, type MeterPtyPair } from '../firmware-bridge/meters/pty-pair.ts';
import { syntheticRecords } from '../firmware-bridge/meters/scenario.ts';
import { startMeter, type RunningMeter } from '../firmware-bridge/meters/simulator.ts';
import type { IngestOptions } from '../gateway/ingest/pipeline.ts';
import type { Store } from '../gateway/store/store.ts';
import { storePort } from '../gateway/ingest/port.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const SCENARIO = path.join(here, '../firmware-bridge/peripherals/scenarios/demo.json');

export const CGM_KEY = 'ble:c0:11:22:33:44:55';
export const METER_KEY = 'ble:c0:aa:bb:cc:dd:ee';

export interface BleDevicesOptions {
  /** Time factor while the CGM catches up with the wall clock. */
  speed: number;
  /** How far behind the wall clock the CGM history ends (filled live at `speed`×). */
  catchUpMinutes: number;
  historyDays: number;
}

export interface BleDevices {
  sim: Simulation;
  cgm: CgmSimulator;
  /** CGM records (history + live) so far. */
  cgmRecords(): number;
  /**
   * Starts the live records. The demo starts them once the backfill is stored: a live record arriving
   * before the first backfilled ones makes the BLE driver infer a wrong sampling interval (see report).
   */
  startLive(): void;
  close(): Promise<void>;
}

export async function startBleDevices(o: BleDevicesOptions): Promise<BleDevices> {
  const base = loadScenario(SCENARIO);
  const historyMinutes = o.historyDays * 1440;
  const sessionStart = new Date(Date.now() - (historyMinutes + o.catchUpMinutes) * 60_000);
  const sim = await startSimulation({
    ...base,
    peripherals: base.peripherals.map((p) =>
      p.kind === 'cgm'
        ? {
            ...p,
            history: { ...p.history, days: o.historyDays },
            sessionStart: sessionStart.toISOString(),
            live: false,
          }
        : // 30 days of meter history at 4 measurements a day (the historic data period).
          { ...p, history: { ...p.history, count: 120, spacingMinutes: 360 } },
    ),
  });
  const cgm = sim.simulators.find((s) => s.address === CGM_KEY.slice(4)) as CgmSimulator;
  // The next record is due when its time offset is reached on the wall clock.
  const due = () => cgm.sessionStartUtc.getTime() + (cgm.sessionMinutes + cgm.intervalMinutes) * 60_000;
  let timer: NodeJS.Timeout | undefined;
  return {
    sim,
    cgm,
    cgmRecords: () => cgm.records.length,
    startLive() {
      if (timer) return;
      timer = setInterval(
        () => {
          if (Date.now() >= due()) cgm.tick();
        },
        Math.max(10, Math.round((cgm.intervalMinutes * 60_000) / o.speed)),
      );
      timer.unref();
    },
    async close() {
      if (timer) clearInterval(timer);
      await sim.close();
    },
  };
}

export interface SerialMeter {
  /** The end the gateway opens (like /dev/ttyUSB0). */
  path: string;
  /** Reads the meter's memory into the store (the gateway's serial dump); resolves to what it stored. */
  dump(): Promise<DumpResult>;
  close(): Promise<void>;
}

export async function startSerialMeter(opts: {
  store: Store;
  timeZone: string;
  ingest: IngestOptions;
}): Promise<SerialMeter> {
  const pty = await createMeterPty();
  const now = Date.now();
  const clock = utcToLocalTime(new Date(now), opts.timeZone);
  const newest = utcToLocalTime(new Date(now - 90 * 60_000), opts.timeZone);
  let meter: RunningMeter;
  try {
    meter = await startMeter(
      {
        protocol: 'onetouch-ultra2',
        serial: 'DEMO1234Y',
        unit: 'mg/dL',
        clock,
        // Two weeks of finger sticks, about three a day.
        records: syntheticRecords(45, { newest, stepMinutes: 437, seed: 11 }),
      },
      { path: pty.meterPath, onUnplug: () => pty.close() },
    );
  } catch (err) {
    await pty.close();
    throw err;
  }
  let running: Promise<DumpResult> | undefined;
  return {
    path: pty.gatewayPath,
    dump() {
      running ??= dumpMeter({
        path: pty.gatewayPath,
        protocol: 'onetouch-ultra2',
        port: storePort(opts.store, opts.ingest),
        timeZone: opts.timeZone,
      }).finally(() => (running = undefined));
      return running;
    },
    async close() {
      await running?.catch(() => undefined);
      await meter.stop();
      await (pty as MeterPtyPair).close();
    },
  };
}
