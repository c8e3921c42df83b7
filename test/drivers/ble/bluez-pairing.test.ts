// Bonding through BlueZ (issue 18, item 1): the gateway's org.bluez.Agent1 (drivers/ble/bluez-pairing.ts) against
// the fake BlueZ's AgentManager1 and Device1.Pair on a private dbus-daemon: passkey entry, numeric comparison,
// Just Works, a wrong passkey, RemoveDevice.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  bluezPair,
  bluezUnpair,
  PairingError,
  type PairingPrompts,
} from '../../../drivers/ble/bluez-pairing.ts';
import { FakeBluez, startPrivateBus } from '../../../firmware-bridge/bluez/index.ts';
import { GlucoseMeterSimulator } from '../../../firmware-bridge/peripherals/index.ts';

const T = { timeout: 30_000 };
const ADDRESS = 'c0:aa:bb:cc:20:01';
const DEVICE_PATH = '/org/bluez/hci0/dev_C0_AA_BB_CC_20_01';

async function fake(
  t: TestContext,
): Promise<{ bluez: FakeBluez; busAddress: string; meter: GlucoseMeterSimulator }> {
  const bus = await startPrivateBus();
  const bluez = await FakeBluez.start({ busAddress: bus.address });
  const meter = new GlucoseMeterSimulator(bluez, { address: ADDRESS, history: { count: 2 } });
  t.after(async () => {
    meter.close();
    await bluez.close();
    await bus.close();
  });
  return { bluez, busAddress: bus.address, meter };
}

const prompts = (p: Partial<PairingPrompts> & { asked?: string[] }): PairingPrompts => ({
  passkey: async (device) => {
    p.asked?.push(`passkey ${device}`);
    return p.passkey ? p.passkey(device) : Promise.reject(new Error('no passkey expected'));
  },
  confirm: async (device, n) => {
    p.asked?.push(`confirm ${device} ${n}`);
    return p.confirm ? p.confirm(device, n) : false;
  },
});

test('passkey entry: the agent is asked, the right passkey bonds and trusts the meter', T, async (t) => {
  const { bluez, busAddress } = await fake(t);
  bluez.pairingMethod(ADDRESS, { kind: 'passkey-entry', passkey: 123456 });
  const asked: string[] = [];
  await bluezPair(
    { address: ADDRESS, adapterIndex: 0, busAddress },
    prompts({ asked, passkey: async () => 123456 }),
    5000,
  );
  assert.deepEqual(asked, [`passkey ${DEVICE_PATH}`]);
  assert.equal(bluez.isPaired(ADDRESS), true);
  assert.deepEqual(
    bluez.agentCalls.map((c) => c.member),
    ['RequestPasskey'],
  );
  assert.ok(
    bluez.calls.some((c) => c.method === 'StartDiscovery'),
    'found by discovery',
  );
});

test('a wrong passkey: PairingError with BlueZ answer, no bond', T, async (t) => {
  const { bluez, busAddress } = await fake(t);
  bluez.pairingMethod(ADDRESS, { kind: 'passkey-entry', passkey: 123456 });
  await assert.rejects(
    bluezPair(
      { address: ADDRESS, adapterIndex: 0, busAddress },
      prompts({ passkey: async () => 111111 }),
      5000,
    ),
    (e: unknown) =>
      e instanceof PairingError &&
      /pairing c0:aa:bb:cc:20:01 failed: org\.bluez\.Error\.AuthenticationFailed/.test(e.message),
  );
  assert.equal(bluez.isPaired(ADDRESS), false);
});

test('numeric comparison: confirmed bonds, refused does not; Just Works asks nothing', T, async (t) => {
  const { bluez, busAddress } = await fake(t);
  const target = { address: ADDRESS, adapterIndex: 0, busAddress };
  bluez.pairingMethod(ADDRESS, { kind: 'numeric-comparison', passkey: 654321 });
  await assert.rejects(
    bluezPair(target, prompts({ confirm: async () => false }), 5000),
    /AuthenticationRejected/,
  );
  assert.equal(bluez.isPaired(ADDRESS), false);
  const asked: string[] = [];
  await bluezPair(target, prompts({ asked, confirm: async (_d, n) => n === 654321 }), 5000);
  assert.deepEqual(asked, [`confirm ${DEVICE_PATH} 654321`]);
  assert.equal(bluez.isPaired(ADDRESS), true);
  assert.equal(await bluezUnpair(target), true, 'RemoveDevice');
  assert.equal(bluez.isPaired(ADDRESS), false);
  bluez.pairingMethod(ADDRESS, { kind: 'just-works' });
  const none: string[] = [];
  await bluezPair(target, prompts({ asked: none }), 5000);
  assert.deepEqual(none, []);
  assert.equal(bluez.isPaired(ADDRESS), true);
});

test('a meter that does not advertise: a clear timeout', T, async (t) => {
  const { busAddress, meter } = await fake(t);
  meter.peripheral.setAdvertising(false);
  await assert.rejects(
    bluezPair({ address: ADDRESS, adapterIndex: 0, busAddress }, prompts({}), 500),
    /did not advertise within 500 ms \(is the meter in pairing mode\?\)/,
  );
});

test(
  'bond lost and re-paired: reported with the command, then read on from the last stored record',
  { timeout: 60_000 },
  async () => {
    const { startBluezRig } = await import('./dbus-helpers.ts');
    const { until } = await import('./helpers.ts');
    const { listReadings } = await import('../../../gateway/store/readings.ts');
    const key = `ble:${ADDRESS}`;
    let meter!: GlucoseMeterSimulator;
    const rig = await startBluezRig({
      ble: { meterResyncMs: 300 },
      setup: (bluez) => {
        meter = new GlucoseMeterSimulator(bluez, { address: ADDRESS, history: { count: 5 } });
        bluez.requireBonding(ADDRESS);
        bluez.pairingMethod(ADDRESS, { kind: 'passkey-entry', passkey: 246810 });
      },
    });
    const target = { address: ADDRESS, adapterIndex: 0, busAddress: rig.bus.address };
    try {
      await until(
        () => rig.central.status().some((s) => s.key === key && s.failures > 0),
        10_000,
        'refused unbonded',
      );
      await bluezPair(target, prompts({ passkey: async () => 246810 }), 5000);
      await until(() => rig.count(key) === 5, 15_000, 'read once bonded');
      rig.bluez.loseBond(ADDRESS);
      await until(() => !meter.peripheral.connected, 5000, 'hung up');
      meter.addMeasurement({ glucose: 150 });
      meter.addMeasurement({ glucose: 160 });
      await until(
        () => rig.central.status().find((s) => s.key === key)?.lastOutcome === 'bond-lost',
        10_000,
        'bond-lost',
      );
      const line = rig.logs.find((l) => l.reason === 'bond-lost');
      assert.match(String(line?.msg), /pair it again .*: hddt-gateway pair add c0:aa:bb:cc:20:01 --prompt/);
      assert.equal(rig.central.metrics()[`ble_bond_lost{device="${key}"}`], 1);
      meter.clearLogs();
      await bluezPair(target, prompts({ passkey: async () => 246810 }), 5000);
      await until(() => rig.count(key) === 7, 15_000, 'the 2 new records after re-pairing');
      assert.equal(meter.racpRequests.at(-1)?.hex, '0103010600', 'RACP: sequence >= 6');
      assert.deepEqual(
        listReadings(rig.store, key)
          .slice(5)
          .map((r) => r.value),
        [150, 160],
      );
      assert.equal(rig.central.metrics()[`ble_bond_lost{device="${key}"}`], 0);
    } finally {
      meter.close();
      await rig.close();
    }
  },
);
