// BLE backfill throughput: a 14-day 1-minute CGM history (20,160 records) through the gateway's BLE central
// (real noble, UART driver, virtual controller over a socat pty, ingest into SQLite), timed from the RACP
// request to the last record stored. In the same run, the byte-rate ceiling of the virtual link: the exact
// bytes the controller sent during the transfer, pushed through a fresh pty with no BLE stack, as records/s
// for the same record count (median of three runs).
//
// The virtual controller and the simulated CGM run in a child process (as a dongle and a sensor have their own
// hardware), and so does the writing end of the ceiling; this process holds what the gateway holds: noble, the
// drivers and the store (and, for the ceiling, the same serialport reader). `--in-process` runs the simulator
// in this process instead (its CPU then competes with the gateway's, as before this option existed).
//
// npm run bench -- ble [records] [--per-notification N] [--in-process]
//   --per-notification N: records per CGM Measurement notification (spec A.2 allows several; default 1)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { defaultConfig, mergeConfig } from '../config/load.ts';
import type { BleConfig } from '../config/types.ts';
import { BleCentral } from '../drivers/ble/central.ts';
import { NobleRadio } from '../drivers/ble/noble-transport.ts';
import { ingestTimings } from '../drivers/ble/reading-sink.ts';
import { measurePtyByteRate, type ByteRateResult } from '../firmware-bridge/hci/index.ts';
import { startSimulation, type CgmScenario, type Scenario } from '../firmware-bridge/peripherals/index.ts';
import { startSimulationProcess } from '../firmware-bridge/peripherals/simulation-process.ts';
import { createLogger } from '../gateway/log.ts';
import { openStore } from '../gateway/store/store.ts';
import { storePort } from '../gateway/ingest/port.ts';

const TARGET = { maxSeconds: 30, minRatio: 0.8 };
const ADDRESS = 'c0:11:22:33:44:55';
const CEILING_RUNS = 3;

interface Rig {
  ptyPath: string;
  /** hrtime (ns) of the RACP request, once it came */
  started(): bigint | null;
  ceiling(): Promise<ByteRateResult>;
  close(): Promise<void>;
}

function parseArgs(args: string[]): { records: number; perNotification: number; inProcess: boolean } {
  let records = 20_160;
  let perNotification = 1;
  let inProcess = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--in-process') inProcess = true;
    else if (a === '--per-notification') perNotification = Number(args[++i]);
    else records = Number(a);
  }
  if (!Number.isInteger(records) || records < 1) throw new Error(`records must be a positive integer`);
  if (!Number.isInteger(perNotification) || perNotification < 1)
    throw new Error(`--per-notification must be a positive integer`);
  return { records, perNotification, inProcess };
}

async function childRig(scenario: Scenario): Promise<Rig> {
  const sim = await startSimulationProcess(scenario, { capture: true });
  let started: bigint | null = null;
  sim.on('racp', (_address, _hex, at) => (started = at));
  return {
    ptyPath: sim.ptyPath,
    started: () => started,
    ceiling: () => sim.measureCapturedByteRate(),
    close: () => sim.close(),
  };
}

async function inProcessRig(scenario: Scenario): Promise<Rig> {
  const packets: Buffer[] = [];
  let capturing = false;
  const sim = await startSimulation(scenario, {
    controller: {
      trace: (direction, packet) => {
        if (capturing && direction === 'out' && Buffer.isBuffer(packet)) packets.push(Buffer.from(packet));
      },
    },
  });
  let started: bigint | null = null;
  const cgm = sim.cgm(ADDRESS);
  cgm.on('racp', () => {
    started = process.hrtime.bigint();
    capturing = true;
  });
  cgm.on('transfer-end', () => (capturing = false));
  return {
    ptyPath: sim.ptyPath,
    started: () => started,
    ceiling: () => measurePtyByteRate(packets),
    close: () => sim.close(),
  };
}

export async function run(args: string[]): Promise<object> {
  const { records, perNotification, inProcess } = parseArgs(args);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-bench-ble-'));
  const cgm: CgmScenario = {
    kind: 'cgm',
    address: ADDRESS,
    history: { count: records },
    e2eCrc: true,
    live: false,
    recordsPerNotification: perNotification,
  };
  const scenario: Scenario = { peripherals: [cgm] };
  const rig = inProcess ? await inProcessRig(scenario) : await childRig(scenario);
  const store = openStore({ path: path.join(tmp, 'bench.sqlite') });
  const ble = mergeConfig(defaultConfig().ble as Parameters<typeof mergeConfig>[0], {
    enabled: true,
    driver: 'uart',
    uartPort: rig.ptyPath,
    allowList: [ADDRESS],
    backoff: { minMs: 50, maxMs: 1000 },
  }) as unknown as BleConfig;
  const quiet = new Writable({ write: (_c, _e, cb) => cb() });
  const log = createLogger('error', quiet);
  const central = new BleCentral(NobleRadio.create(ble, log), {
    port: storePort(store),
    log,
    config: ble,
    timeZone: 'Europe/Berlin',
    cgmLimits: { lower: 40, upper: 400 },
  });
  // time spent in ingest() (SQLite + HDDT materialisation), to tell the store's share from the BLE path's
  let ingestSeconds = 0;
  const onBatch = (_n: number, s: number) => (ingestSeconds += s);
  ingestTimings.on('batch', onBatch);
  try {
    await central.start(10_000);
    const stored = () => central.status()[0]?.stored ?? 0;
    const deadline = Date.now() + 120_000;
    while (stored() < records) {
      if (Date.now() > deadline) throw new Error(`only ${stored()} of ${records} records stored`);
      await new Promise((r) => setTimeout(r, 2));
    }
    const end = process.hrtime.bigint();
    const started = rig.started();
    if (started === null) throw new Error('no RACP request was seen');
    const ms = Number(end - started) / 1e6;
    // the ceiling is a ~50 ms measurement that a busy machine easily disturbs: the median of three
    const ceilings: ByteRateResult[] = [];
    for (let i = 0; i < CEILING_RUNS; i++) ceilings.push(await rig.ceiling());
    ceilings.sort((a, b) => a.ms - b.ms);
    const ceiling = ceilings[Math.floor(CEILING_RUNS / 2)];
    const seconds = ms / 1000;
    const recordsPerSec = records / seconds;
    const ceilingRecordsPerSec = records / (ceiling.ms / 1000);
    return {
      records,
      perNotification,
      simulator: inProcess ? 'in-process' : 'child-process',
      seconds: Number(seconds.toFixed(3)),
      recordsPerSec: Math.round(recordsPerSec),
      ceilingRecordsPerSec: Math.round(ceilingRecordsPerSec),
      ratio: Number((recordsPerSec / ceilingRecordsPerSec).toFixed(2)),
      linkBytes: ceiling.bytes,
      linkPackets: ceiling.packets,
      ceilingSeconds: Number((ceiling.ms / 1000).toFixed(3)),
      ceilingRuns: ceilings.map((c) => Number((c.ms / 1000).toFixed(3))),
      /** of `seconds`, the time inside ingest(): the store's share, whatever the link does */
      ingestSeconds: Number(ingestSeconds.toFixed(3)),
      target: TARGET,
    };
  } finally {
    ingestTimings.off('batch', onBatch);
    await central.stop();
    await rig.close();
    store.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
