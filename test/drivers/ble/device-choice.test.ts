// Device choice (issue 18, item 2): by default the central connects only to devices in ble.allowList or added
// with `pair add`; another advertiser of 0x1808/0x181F is listed for the operator (log + status()), never read.
// Two simulated meters on the virtual controller, real noble, real SQLite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DeviceChoice } from '../../../drivers/ble/device-choice.ts';
import { PairedDevices, PairedFileError } from '../../../drivers/ble/paired-devices.ts';
import { GlucoseMeterSimulator } from '../../../firmware-bridge/peripherals/index.ts';
import { startBleRig, until, delay } from './helpers.ts';

const T = { timeout: 60_000 };
const KNOWN = 'c0:aa:bb:cc:dd:01';
const STRANGER = 'c0:aa:bb:cc:dd:02';

test(
  'only the allow-listed meter is read; the unknown one is logged and listed, never connected',
  T,
  async () => {
    const meters: GlucoseMeterSimulator[] = [];
    let strangerConnects = 0;
    const rig = await startBleRig({
      ble: { unknownDevices: 'list', allowList: [KNOWN.toUpperCase()], meterResyncMs: 300 },
      setup: (controller) => {
        meters.push(new GlucoseMeterSimulator(controller, { address: KNOWN, history: { count: 5 } }));
        const stranger = new GlucoseMeterSimulator(controller, {
          address: STRANGER,
          name: 'Neighbour Meter',
          history: { count: 7 },
        });
        stranger.peripheral.on('connect', () => strangerConnects++);
        meters.push(stranger);
      },
    });
    try {
      await until(() => rig.count(`ble:${KNOWN}`) === 5, 15_000, 'the known meter read');
      // two resync rounds: the stranger is seen again at every rescan and still left alone
      await until(
        () => (rig.central.status().find((s) => s.key === `ble:${KNOWN}`)?.connects ?? 0) >= 2,
        10_000,
        'resync',
      );
      assert.equal(strangerConnects, 0, 'no link to the unknown meter');
      assert.equal(meters[1].racpRequests.length, 0);
      assert.equal(rig.count(`ble:${STRANGER}`), 0);
      const row = rig.central.status().find((s) => s.key === `ble:${STRANGER}`);
      assert.equal(row?.state, 'not-allowed');
      assert.equal(row?.family, 'glucose');
      assert.equal(row?.name, 'Neighbour Meter');
      assert.equal(typeof row?.rssi, 'number');
      const lines = rig.logs.filter((l) => l.msg.startsWith('BLE device not connected'));
      assert.equal(lines.length, 1, 'logged once, not at every advertisement');
      assert.equal(lines[0].device, `ble:${STRANGER}`);
      assert.match(lines[0].msg, /hddt-gateway pair add c0:aa:bb:cc:dd:02/);
      assert.equal(rig.central.metrics()['ble_unknown_devices'], 1);
      assert.equal(
        Object.keys(rig.central.metrics()).some((k) => k.includes(STRANGER)),
        false,
        'an unknown device gets no per-device series',
      );
    } finally {
      for (const m of meters) m.close();
      await rig.close();
    }
  },
);

test(
  'a device added to the paired list while the gateway runs is read at its next advertisement',
  T,
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-ble-choice-'));
    const paired = new PairedDevices(path.join(dir, 'ble-paired.json'));
    let meter!: GlucoseMeterSimulator;
    let other!: GlucoseMeterSimulator;
    const rig = await startBleRig({
      dir,
      ble: { unknownDevices: 'list', allowList: [KNOWN], meterResyncMs: 300 },
      deps: { paired: new PairedDevices(path.join(dir, 'ble-paired.json')) },
      setup: (controller) => {
        other = new GlucoseMeterSimulator(controller, { address: KNOWN, history: { count: 1 } });
        meter = new GlucoseMeterSimulator(controller, { address: STRANGER, history: { count: 4 } });
      },
    });
    try {
      await until(() => rig.central.status().some((s) => s.key === `ble:${STRANGER}`), 10_000, 'listed');
      await delay(300);
      assert.equal(rig.count(`ble:${STRANGER}`), 0);
      paired.add({ address: STRANGER.toUpperCase(), name: 'Kitchen meter' });
      await until(() => rig.count(`ble:${STRANGER}`) === 4, 15_000, 'the paired meter read');
      assert.equal(
        rig.central.status().find((s) => s.key === `ble:${STRANGER}`)?.state !== 'not-allowed',
        true,
        'no longer listed as unknown',
      );
    } finally {
      meter.close();
      other.close();
      await rig.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('the paired-devices file: add, list, remove, and a broken file named in the error', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-ble-paired-'));
  try {
    const file = path.join(dir, 'sub', 'paired.json');
    const p = new PairedDevices(file);
    assert.deepEqual(p.list(), []);
    p.add({ address: 'C0:AA:BB:CC:DD:EE', addedAt: '2026-01-01T00:00:00.000Z' });
    assert.equal(p.has('c0:aa:bb:cc:dd:ee'), true);
    assert.equal(new PairedDevices(file).has('C0:AA:BB:CC:DD:EE'), true, 'another reader sees it');
    assert.equal((fs.statSync(file).mode & 0o777).toString(8), '600');
    assert.equal(p.remove('c0:aa:bb:cc:dd:ee'), true);
    assert.equal(p.remove('c0:aa:bb:cc:dd:ee'), false);
    assert.throws(() => p.add({ address: 'c0:aa' }), /c0:aa is not a Bluetooth address/);
    fs.writeFileSync(file, '{"devices":[{"address":"nope"}]}');
    assert.throws(
      () => new PairedDevices(file).list(),
      (e: unknown) => {
        assert.ok(e instanceof PairedFileError);
        assert.match((e as Error).message, /devices\[0\]\.address is not aa:bb:cc:dd:ee:ff/);
        return true;
      },
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('device choice: a broken paired file connects nothing from it and is reported once', () => {
  const choice = new DeviceChoice({
    allowList: [],
    unknownDevices: 'list',
    paired: {
      has: () => {
        throw new Error('paired.json is not JSON');
      },
    },
    maxListed: 2,
  });
  const adv = (address: string) => ({
    id: address,
    address,
    serviceUuids: ['1808'],
    rssi: -60,
    connectable: true,
  });
  const first = choice.decide(adv('c0:00:00:00:00:01'), 'glucose');
  assert.deepEqual(first, { connect: false, firstSeen: true, pairedError: 'paired.json is not JSON' });
  assert.deepEqual(choice.decide(adv('c0:00:00:00:00:01'), 'glucose'), { connect: false, firstSeen: false });
  choice.decide(adv('c0:00:00:00:00:02'), 'glucose');
  choice.decide(adv('c0:00:00:00:00:03'), 'cgm');
  assert.deepEqual(
    choice.listed().map((u) => u.address),
    ['c0:00:00:00:00:02', 'c0:00:00:00:00:03'],
    'bounded: the longest unseen is dropped',
  );
  const open = new DeviceChoice({ allowList: [], unknownDevices: 'connect' });
  assert.deepEqual(open.decide(adv('c0:00:00:00:00:09'), 'cgm'), { connect: true });
});
