// Both stacks real, no hardware: two virtual controllers on one virtual radio. On controller B, @stoprocent/bleno
// (UART HCI driver, its own GAP/GATT/ATT) serves the simulated CGM through the bleno adapter; on controller A, the
// gateway's own BLE driver (BleCentral on @stoprocent/noble) finds it, backfills 14 days of records, takes live
// readings, and resumes after the link drops (the simulator's fault, and the air losing the link). Real SQLite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MeterMemory } from '../../../drivers/ble/meter-memory.ts';
import { NobleRadio } from '../../../drivers/ble/noble-transport.ts';
import { VirtualController, VirtualRadio } from '../../../firmware-bridge/hci/index.ts';
import {
  BlenoHost,
  CgmSimulator,
  type CgmSimulatorOptions,
  type TransferEnd,
} from '../../../firmware-bridge/peripherals/index.ts';
import { countReadings, listReadings } from '../../../gateway/store/readings.ts';
import { openStore, type Store } from '../../../gateway/store/store.ts';
import type { BleCentral } from '../../../drivers/ble/central.ts';
import { collectLogs, stateFiles, testBleConfig, testCentral, until } from '../../drivers/ble/helpers.ts';

const T = { timeout: 120_000 };

interface AirRig {
  a: VirtualController;
  b: VirtualController;
  host: BlenoHost;
  cgm: CgmSimulator;
  store: Store;
  central: BleCentral;
  key: string;
  count(): number;
  close(): Promise<void>;
}

/** Controller B gets the simulated device's address, so bleno advertises with it (as its public address). */
async function startAirRig(cgmOpts: CgmSimulatorOptions): Promise<AirRig> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-bleno-test-'));
  const radio = new VirtualRadio();
  const a = await VirtualController.start({ radio, address: 'a0:00:00:00:00:0a' });
  const b = await VirtualController.start({ radio, address: cgmOpts.address });
  const host = await BlenoHost.start({ adapter: b.hostPath });
  const cgm = new CgmSimulator(host, cgmOpts);
  await host.ready();
  const store = openStore({ path: path.join(dir, 'store.sqlite') });
  const { log } = collectLogs();
  const ble = testBleConfig({ driver: 'uart', uartPort: a.hostPath, ...stateFiles(dir) });
  const central = testCentral(NobleRadio.create(ble, log), store, ble, log, {
    meterMemory: new MeterMemory(ble.meterStateFile),
  });
  await central.start(5000);
  const key = `ble:${cgmOpts.address}`;
  return {
    a,
    b,
    host,
    cgm,
    store,
    central,
    key,
    count: () => countReadings(store, key),
    async close() {
      await central.stop();
      cgm.close();
      await host.close();
      await a.close();
      await b.close();
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

test(
  'bleno on controller B: the gateway on controller A backfills 14 days (20,160 records), then live',
  T,
  async (t) => {
    const N = 20_160;
    const rig = await startAirRig({
      address: 'c0:b1:e0:00:00:01',
      history: { count: N },
      e2eCrc: true,
      live: false,
    });
    try {
      assert.equal(rig.host.address, 'c0:b1:e0:00:00:01', "bleno reports controller B's address");
      const ms = await until(() => rig.count() >= N, 90_000, 'backfill');
      t.diagnostic(`backfill of ${N} records through bleno and the radio: ${ms} ms`);
      const readings = listReadings(rig.store, rig.key);
      assert.equal(readings.length, N);
      assert.deepEqual(
        readings.map((r) => r.recordNumber),
        Array.from({ length: N }, (_, i) => i),
      );
      assert.equal(rig.cgm.racpRequests[0]?.hex, '0101', 'all records, as a first visit asks');
      // live: the next record is notified through bleno and stored
      await until(() => rig.cgm.peripheral.isSubscribed('2aa7'), 5000, 'subscribed for live records');
      const live = rig.cgm.tick();
      assert.ok(live);
      await until(() => rig.count() === N + 1, 5000, 'live record stored');
    } finally {
      await rig.close();
    }
  },
);

test(
  'the link drops mid-backfill (simulator fault, then the air) and the gateway resumes where it stopped',
  T,
  async () => {
    const N = 3000;
    const ends: TransferEnd[] = [];
    const rig = await startAirRig({
      address: 'c0:b1:e0:00:00:02',
      history: { count: N },
      e2eCrc: true,
      live: false,
      transferPaceMs: 1,
      faults: { dropLinkAfterRecords: 700, dropLinkTimes: 1 },
    });
    rig.cgm.on('transfer-end', (end) => ends.push(end));
    try {
      // 1: the simulator drops the link after 700 records (bleno disconnects: the gateway sees 0x13)
      await until(() => ends.length === 1, 30_000, 'first transfer dropped');
      assert.equal(ends[0].outcome, 'dropped');
      // 2: the air loses the link during the next transfer (both hosts hear 0x08)
      await until(() => rig.cgm.transferring && rig.count() >= 1200, 30_000, 'second transfer under way');
      rig.b.dropRadioLinks();
      await until(() => rig.count() >= N, 60_000, 'backfill resumed to the end');
      await until(() => ends.some((e) => e.outcome === 'success'), 10_000, 'a transfer ends with success');
      const readings = listReadings(rig.store, rig.key);
      assert.equal(readings.length, N);
      assert.equal(new Set(readings.map((r) => r.identity)).size, N, 'no duplicates');
      const requests = rig.cgm.racpRequests.map((r) => r.hex);
      assert.equal(requests[0], '0101');
      assert.equal(requests[1], '010301bc02', 'second visit asks from time offset 700 on');
      assert.ok(requests.length >= 3, `a third visit after the radio drop: ${requests.join(' ')}`);
      const status = rig.central.status().find((s) => s.key === rig.key);
      assert.ok((status?.connects ?? 0) >= 3, `connects: ${status?.connects}`);
    } finally {
      await rig.close();
    }
  },
);
