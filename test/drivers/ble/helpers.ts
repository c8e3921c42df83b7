// Test rig for the BLE driver: the virtual controller on a real pty, the real noble (UART driver) in the
// gateway's BleCentral, and a real SQLite store in a temp dir. Everything is closed by close().
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { defaultConfig, mergeConfig } from '../../../config/load.ts';
import type { BleConfig } from '../../../config/types.ts';
import { BleCentral, type CentralDeps } from '../../../drivers/ble/central.ts';
import { MeterMemory } from '../../../drivers/ble/meter-memory.ts';
import { NobleRadio } from '../../../drivers/ble/noble-transport.ts';
import { VirtualController, type ControllerOptions } from '../../../firmware-bridge/hci/index.ts';
import { createLogger, type Logger } from '../../../gateway/log.ts';
import { countReadings } from '../../../gateway/store/readings.ts';
import { openStore, type Store } from '../../../gateway/store/store.ts';
import { storePort } from '../../../gateway/ingest/port.ts';

/** What the glucose driver asks a meter before every backfill (sequence reset detection): count, first, last. */
export const GLS_PROBE = ['0401', '0105', '0106'] as const;

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 20 ms until it is true; rejects naming `what` after `ms`. */
export async function until(check: () => boolean, ms: number, what: string): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`timeout after ${ms} ms: ${what}`);
    await delay(20);
  }
  return Date.now() - start;
}

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

export interface BleRig {
  dir: string;
  controller: VirtualController;
  store: Store;
  central: BleCentral;
  config: BleConfig;
  logs: LogLine[];
  count(deviceKey?: string): number;
  close(): Promise<void>;
}

export interface RigOptions {
  ble?: Partial<BleConfig>;
  controller?: ControllerOptions;
  /** Extra central dependencies (a paired-devices list, a hub clock check, a clock). */
  deps?: Partial<CentralDeps>;
  /** A temp dir to use (kept across rigs: a restart test reuses the store); removed by close() unless given. */
  dir?: string;
  /** Runs after the controller is up, before the central starts scanning (add peripherals here). */
  setup?(controller: VirtualController): void | Promise<void>;
}

/** A logger whose JSON lines land parsed in `logs`, for assertions on what the driver logged. */
export function collectLogs(): { logs: LogLine[]; log: Logger } {
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as LogLine);
      cb();
    },
  });
  return { logs, log: createLogger('info', sink) };
}

/** The ble section of the shipped defaults with test timings, the driver's own fields and `overrides` on top. */
export function testBleConfig(driver: Partial<BleConfig>, overrides: Partial<BleConfig> = {}): BleConfig {
  return mergeConfig(defaultConfig().ble as Parameters<typeof mergeConfig>[0], {
    enabled: true,
    ...(driver as Parameters<typeof mergeConfig>[1]),
    backoff: { minMs: 50, maxMs: 400 },
    connectTimeoutMs: 3000,
    gattTimeoutMs: 3000,
    racpTimeoutMs: 3000,
    flushMs: 50,
    meterResyncMs: 0,
    // These rigs put only their own simulators on the air; device-choice.test.ts tests the "list" default.
    unknownDevices: 'connect',
    // the host's NTP state is not the test's business; clocks.test.ts tests "check" with its own sources
    hubClock: 'trusted',
    ...(overrides as Parameters<typeof mergeConfig>[1]),
  }) as unknown as BleConfig;
}

/** The gateway's state files (paired devices, meter fingerprints) inside a test's temp dir. */
export function stateFiles(dir: string): Pick<BleConfig, 'pairedFile' | 'meterStateFile'> {
  return { pairedFile: path.join(dir, 'ble-paired.json'), meterStateFile: path.join(dir, 'ble-meters.json') };
}

/** The gateway's central over `radio` into `store`, as the BLE component builds it (Berlin, default limits). */
export function testCentral(
  radio: NobleRadio,
  store: Store,
  config: BleConfig,
  log: Logger,
  extra: Partial<CentralDeps> = {},
): BleCentral {
  return new BleCentral(radio, {
    ...extra,
    port: storePort(store),
    log,
    config,
    timeZone: 'Europe/Berlin',
    cgmLimits: { lower: 40, upper: 400 },
  });
}

export async function startBleRig(opts: RigOptions = {}): Promise<BleRig> {
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-ble-test-'));
  const controller = await VirtualController.start(opts.controller);
  const store = openStore({ path: path.join(dir, 'store.sqlite') });
  const { logs, log } = collectLogs();
  const ble = testBleConfig({ driver: 'uart', uartPort: controller.hostPath, ...stateFiles(dir) }, opts.ble);
  await opts.setup?.(controller);
  const central = testCentral(NobleRadio.create(ble, log), store, ble, log, {
    meterMemory: new MeterMemory(ble.meterStateFile),
    ...opts.deps,
  });
  await central.start(5000);
  return {
    dir,
    controller,
    store,
    central,
    config: ble,
    logs,
    count: (key) => countReadings(store, key),
    async close() {
      await central.stop();
      await controller.close();
      store.close();
      if (!opts.dir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
