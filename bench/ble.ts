// BLE backfill throughput: a 14-day 1-minute CGM history (20,160 records) through the gateway's BLE central
// (real noble, UART driver, virtual controller over a socat pty, ingest into SQLite), timed from the RACP
// request to the last record stored. In the same run, the byte-rate ceiling of the virtual link: the exact
// bytes the controller sent during the transfer, pushed through a fresh pty with no BLE stack, as records/s.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { defaultConfig, mergeConfig } from '../config/load.ts';
import type { BleConfig } from '../config/types.ts';
import { BleCentral } from '../drivers/ble/central.ts';
import { NobleRadio } from '../drivers/ble/noble-transport.ts';
import { measurePtyByteRate, VirtualController } from '../firmware-bridge/hci/index.ts';
import { CgmSimulator } from '../firmware-bridge/peripherals/index.ts';
import { createLogger } from '../gateway/log.ts';
import { openStore } from '../gateway/store/store.ts';

const TARGET = { maxSeconds: 30, minRatio: 0.8 };

export async function run(args: string[]): Promise<object> {
  const records = Number(args[0] ?? 20_160);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-bench-ble-'));
  const packets: Buffer[] = [];
  let capturing = false;
  const controller = await VirtualController.start({
    trace: (direction, packet) => {
      if (capturing && direction === 'out' && Buffer.isBuffer(packet)) packets.push(Buffer.from(packet));
    },
  });
  const store = openStore({ path: path.join(tmp, 'bench.sqlite') });
  const cgm = new CgmSimulator(controller, {
    address: 'c0:11:22:33:44:55',
    history: { count: records },
    e2eCrc: true,
    live: false,
  });
  const ble = mergeConfig(defaultConfig().ble as Parameters<typeof mergeConfig>[0], {
    enabled: true,
    driver: 'uart',
    uartPort: controller.hostPath,
    backoff: { minMs: 50, maxMs: 1000 },
  }) as unknown as BleConfig;
  const quiet = new Writable({ write: (_c, _e, cb) => cb() });
  const log = createLogger('error', quiet);
  const central = new BleCentral(NobleRadio.create(ble, log), {
    store,
    log,
    config: ble,
    timeZone: 'Europe/Berlin',
    cgmLimits: { lower: 40, upper: 400 },
  });
  let started = 0;
  cgm.on('racp', () => {
    started = performance.now();
    capturing = true;
  });
  cgm.on('transfer-end', () => (capturing = false));
  try {
    await central.start(10_000);
    const stored = () => central.status()[0]?.stored ?? 0;
    const deadline = Date.now() + 120_000;
    while (stored() < records) {
      if (Date.now() > deadline) throw new Error(`only ${stored()} of ${records} records stored`);
      await new Promise((r) => setTimeout(r, 2));
    }
    const ms = performance.now() - started;
    capturing = false;
    const ceiling = await measurePtyByteRate(packets);
    const seconds = ms / 1000;
    const recordsPerSec = records / seconds;
    const ceilingRecordsPerSec = records / (ceiling.ms / 1000);
    return {
      records,
      seconds: Number(seconds.toFixed(3)),
      recordsPerSec: Math.round(recordsPerSec),
      ceilingRecordsPerSec: Math.round(ceilingRecordsPerSec),
      ratio: Number((recordsPerSec / ceilingRecordsPerSec).toFixed(2)),
      linkBytes: ceiling.bytes,
      linkPackets: ceiling.packets,
      ceilingSeconds: Number((ceiling.ms / 1000).toFixed(3)),
      target: TARGET,
    };
  } finally {
    await central.stop();
    cgm.close();
    await controller.close();
    store.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
