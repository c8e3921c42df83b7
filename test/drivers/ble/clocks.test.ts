// Clocks (issue 18, item 5): a meter's Current Time (0x1805) is read and the measured offset goes on every reading;
// ble.setMeterClock decides whether a wrong meter clock is set, and every decision is logged; a CGM's Session Start
// Time is never written while the hub clock is not synchronized (systemd-timesyncd / timedatectl / chrony), unless
// ble.hubClock is "trusted". Virtual controller, real noble, SQLite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { systemHubClock, type CommandRunner } from '../../../lib/hub-clock.ts';
import { CgmSimulator, GlucoseMeterSimulator } from '../../../firmware-bridge/peripherals/index.ts';
import type { GlucoseMeterOptions } from '../../../firmware-bridge/peripherals/index.ts';
import { listReadings } from '../../../gateway/store/readings.ts';
import type { BleConfig } from '../../../config/types.ts';
import { startBleRig, until, type BleRig, type RigOptions } from './helpers.ts';

const T = { timeout: 60_000 };

async function meterRig(
  opts: Omit<GlucoseMeterOptions, 'address'>,
  ble: Partial<BleConfig>,
  run: (rig: BleRig, meter: GlucoseMeterSimulator, key: string) => Promise<void>,
): Promise<void> {
  const address = 'c0:aa:bb:cc:10:05';
  let meter!: GlucoseMeterSimulator;
  const rig = await startBleRig({
    ble: { meterResyncMs: 0, ...ble },
    setup: (c) => {
      meter = new GlucoseMeterSimulator(c, { address, history: { count: 3 }, ...opts });
    },
  });
  try {
    await run(rig, meter, `ble:${address}`);
  } finally {
    meter.close();
    await rig.close();
  }
}

const near = (actual: number, expected: number, slackMs = 3000) =>
  assert.ok(Math.abs(actual - expected) <= slackMs, `${actual} is not within ${slackMs} ms of ${expected}`);

test(
  'a meter clock 3 min fast: the offset is on every reading; with setMeterClock "never" it is logged, not set',
  T,
  () =>
    meterRig({ clock: { service: 'current-time', errorSeconds: 180 } }, {}, async (rig, meter, key) => {
      await until(() => rig.count(key) === 3, 15_000, 'records');
      for (const r of listReadings(rig.store, key)) near(r.clockOffsetMs, -180_000);
      meter.addMeasurement({ glucose: 140 });
      await until(() => rig.count(key) === 4, 5000, 'live record');
      near(listReadings(rig.store, key)[3].clockOffsetMs, -180_000);
      const off = rig.logs.find((l) => l.msg.startsWith('meter clock is off; not set'));
      assert.equal(off?.source, 'current-time-service');
      assert.deepEqual(meter.clock.writes, []);
    }),
);

test(
  'setMeterClock "if-off": a wrong Current Time is set to the hub time; one within tolerance is left alone',
  T,
  async () => {
    await meterRig(
      { clock: { service: 'current-time', errorSeconds: -600 } },
      { setMeterClock: 'if-off' },
      async (rig, meter, key) => {
        await until(() => rig.count(key) === 3, 15_000, 'records');
        assert.equal(meter.clock.writes.length, 1);
        near(meter.clock.errorMs, 0);
        for (const r of listReadings(rig.store, key)) near(r.clockOffsetMs, 600_000, 3000);
        assert.ok(rig.logs.some((l) => l.msg === 'meter clock was off; set it to the hub time'));
      },
    );
    await meterRig(
      { clock: { service: 'current-time', errorSeconds: 30 } },
      { setMeterClock: 'if-off', meterClockToleranceSeconds: 120 },
      async (rig, meter, key) => {
        await until(() => rig.count(key) === 3, 15_000, 'records');
        assert.deepEqual(meter.clock.writes, []);
        assert.equal(
          rig.logs.some((l) => /meter clock (is|was) off/.test(l.msg)),
          false,
        );
        for (const r of listReadings(rig.store, key)) near(r.clockOffsetMs, -30_000);
      },
    );
  },
);

test('a read-only clock that is off: the failed set is logged and the sync goes on', T, () =>
  meterRig(
    { clock: { service: 'current-time', errorSeconds: 900, writable: false } },
    { setMeterClock: 'if-off' },
    async (rig, _meter, key) => {
      await until(() => rig.count(key) === 3, 15_000, 'records');
      assert.ok(rig.logs.some((l) => l.msg === 'meter clock is off; setting it failed'));
    },
  ),
);

test('a meter without a clock service: offset 0, and the log says so', T, () =>
  meterRig({}, {}, async (rig, _meter, key) => {
    await until(() => rig.count(key) === 3, 15_000, 'records');
    assert.ok(listReadings(rig.store, key).every((r) => r.clockOffsetMs === 0));
    assert.ok(rig.logs.some((l) => l.msg === 'meter clock not readable; readings carry offset 0'));
  }),
);

test(
  'CGM Session Start Time is not written while the hub clock is unsynchronized; it is once timesyncd says so',
  T,
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-hub-clock-'));
    const flagFile = path.join(dir, 'synchronized');
    const address = 'c0:11:22:33:10:06';
    const key = `ble:${address}`;
    let cgm!: CgmSimulator;
    const options: RigOptions = {
      ble: { hubClock: 'check' },
      deps: { hubClock: systemHubClock({ flagFile, run: () => Promise.resolve(null) }) },
      setup: (c) => {
        cgm = new CgmSimulator(c, {
          address,
          history: { count: 30 },
          live: false,
          sessionStartUnknown: true,
        });
      },
    };
    const rig = await startBleRig(options);
    try {
      await until(
        () => rig.central.status().find((s) => s.key === key)?.lastOutcome === 'hub-clock-unsynchronized',
        10_000,
        'the status says why',
      );
      const line = rig.logs.find((l) => l.reason === 'hub-clock-unsynchronized');
      assert.match(
        String(line?.msg),
        /^not writing CGM Session Start Time: the hub clock is not synchronized \(none: /,
      );
      assert.match(String(line?.msg), /set ble.hubClock to "trusted" to override/);
      assert.equal(cgm.sessionStartWrites, 0);
      assert.equal(rig.count(key), 0);
      fs.writeFileSync(flagFile, '');
      await until(() => rig.count(key) === 30, 15_000, 'backfill once the clock is synchronized');
      assert.equal(cgm.sessionStartWrites, 1);
    } finally {
      cgm.close();
      await rig.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('hub clock sources: timesyncd flag, timedatectl, chrony leap status, none', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-hub-clock-'));
  try {
    const none = path.join(dir, 'missing');
    const answering =
      (outputs: Record<string, string>): CommandRunner =>
      (cmd) =>
        Promise.resolve(outputs[cmd] ?? null);
    const state = (run: CommandRunner, flagFile = none) => systemHubClock({ flagFile, run }).state();
    fs.writeFileSync(path.join(dir, 'flag'), '');
    assert.deepEqual(await state(answering({}), path.join(dir, 'flag')), {
      synchronized: true,
      source: 'timesyncd',
    });
    assert.deepEqual(await state(answering({ timedatectl: 'yes\n' })), {
      synchronized: true,
      source: 'timedatectl',
    });
    assert.equal((await state(answering({ timedatectl: 'no\n', chronyc: 'x' }))).synchronized, false);
    const chrony = 'Reference ID    : 00000000 ()\nLeap status     : Not synchronised\n';
    assert.deepEqual(await state(answering({ chronyc: chrony })), {
      synchronized: false,
      source: 'chrony',
      detail: 'leap status Not synchronised',
    });
    assert.equal((await state(answering({ chronyc: 'Leap status     : Normal\n' }))).synchronized, true);
    const unknown = await state(answering({}));
    assert.equal(unknown.synchronized, false, 'no source: not synchronized');
    assert.equal(unknown.source, 'none');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
