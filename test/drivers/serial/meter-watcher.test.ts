import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MeterWatcher } from '../../../drivers/serial/meter-watcher.ts';
import type { DumpResult } from '../../../drivers/serial/run-dump.ts';
import { createMeterPty } from '../../../firmware-bridge/meters/pty-pair.ts';
import { syntheticRecords } from '../../../firmware-bridge/meters/scenario.ts';
import { startMeter } from '../../../firmware-bridge/meters/simulator.ts';
import { listReadings } from '../../../gateway/store/readings.ts';
import { openStore } from '../../../gateway/store/store.ts';
import { FAST } from './serial-harness.ts';
import { storePort } from '../../../gateway/ingest/port.ts';

const until = async (cond: () => boolean, ms = 20_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

test('a meter plugged in later is dumped once; plugged in again, nothing new is stored', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'watcher-'));
  const store = openStore({ path: path.join(dir, 'g.db') });
  const results: DumpResult[] = [];
  const errors: string[] = [];
  const watcher = new MeterWatcher({
    rules: [{ protocol: 'astm', path: path.join(dir, 'ttyCONTOUR') }],
    port: storePort(store),
    timeZone: 'Europe/Berlin',
    intervalMs: 20,
    session: FAST,
    onDump: (_p, r) => results.push(r),
    onError: (_p, e) => errors.push(e.message),
  });
  t.after(async () => {
    await watcher.stop();
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  watcher.start();
  const scenario = {
    protocol: 'astm' as const,
    serial: '7410-1234567',
    unit: 'mg/dL' as const,
    clock: '2024-05-01T10:00:00',
    records: syntheticRecords(30, { newest: '2024-05-01T09:00:00' }),
  };
  for (let plug = 0; plug < 2; plug++) {
    const pty = await createMeterPty({ dir, names: { meter: 'meter-end', gateway: 'ttyCONTOUR' } });
    const meter = await startMeter(scenario, { path: pty.meterPath });
    await until(() => results.length === plug + 1);
    await meter.stop();
    await pty.close();
    await new Promise((r) => setTimeout(r, 100)); // discovery sees the cable gone
  }
  assert.deepEqual(errors, []);
  assert.deepEqual(
    results.map((r) => [r.stored, r.duplicates, r.error?.code ?? null]),
    [
      [30, 0, null],
      [0, 30, null],
    ],
  );
  assert.equal(listReadings(store, 'serial:astm:7410-1234567').length, 30);
});

test('the cable pulled mid-dump aborts it cleanly: records complete so far are stored', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'watcher-'));
  const store = openStore({ path: path.join(dir, 'g.db') });
  const results: DumpResult[] = [];
  const watcher = new MeterWatcher({
    rules: [{ protocol: 'onetouch-ultraeasy', path: path.join(dir, 'ttyONETOUCH') }],
    port: storePort(store),
    timeZone: 'Europe/Berlin',
    intervalMs: 20,
    session: FAST,
    onDump: (_p, r) => results.push(r),
  });
  const pty = await createMeterPty({ dir, names: { meter: 'meter-end', gateway: 'ttyONETOUCH' } });
  t.after(async () => {
    await watcher.stop();
    await pty.close();
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const meter = await startMeter(
    {
      protocol: 'onetouch-ultraeasy',
      serial: 'C2XB9999',
      unit: 'mg/dL',
      clock: '2024-05-01T10:00:00',
      records: syntheticRecords(200, { newest: '2024-05-01T09:00:00' }),
      faults: [{ kind: 'unplug', at: 120 }],
    },
    { path: pty.meterPath, onUnplug: () => pty.close() },
  );
  t.after(() => meter.stop());
  watcher.start();
  await until(() => results.length === 1);
  assert.equal(results[0].error?.code, 'ERR_PORT_CLOSED');
  assert.equal(results[0].stored, 120);
  assert.equal(listReadings(store, 'serial:onetouch-ultraeasy:C2XB9999').length, 120);
});
