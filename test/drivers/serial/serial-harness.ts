// Test harness: a socat pty pair, a simulated meter on one end, a temp SQLite store, all cleaned up after.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { openStore, type Store } from '../../../gateway/store/store.ts';
import { createMeterPty, type MeterPtyPair } from '../../../firmware-bridge/meters/pty-pair.ts';
import { startMeter, type RunningMeter } from '../../../firmware-bridge/meters/simulator.ts';
import type { Scenario } from '../../../firmware-bridge/meters/scenario.ts';
import type { SessionOptions } from '../../../drivers/serial/meter-session.ts';

export interface MeterRig {
  pty: MeterPtyPair;
  meter: RunningMeter;
  store: Store;
  dir: string;
  /** Starts a fresh simulated meter (same scenario or another) on the same line. */
  restartMeter(scenario?: Scenario): Promise<void>;
}

/** Short timeouts: ptys are fast and a silent meter should cost a test a fraction of a second. */
export const FAST: Partial<SessionOptions> = { timeouts: { replyMs: 250, quietMs: 60 }, retries: 3 };

export async function meterRig(t: TestContext, scenario: Scenario, dir?: string): Promise<MeterRig> {
  const ownDir = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'serial-test-'));
  const pty = await createMeterPty();
  const store = openStore({ path: path.join(ownDir, 'gateway.db') });
  const rig: MeterRig = {
    pty,
    store,
    dir: ownDir,
    meter: await startMeter(scenario, { path: pty.meterPath, onUnplug: () => pty.close() }),
    async restartMeter(next = scenario) {
      await rig.meter.stop();
      rig.meter = await startMeter(next, { path: pty.meterPath, onUnplug: () => pty.close() });
    },
  };
  t.after(async () => {
    await rig.meter.stop();
    await pty.close();
    store.close();
    if (!dir) fs.rmSync(ownDir, { recursive: true, force: true });
  });
  return rig;
}
