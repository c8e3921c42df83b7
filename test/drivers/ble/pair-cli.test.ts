// `hddt-gateway pair add|list|remove|scan`: the real command in a child process; scan against two simulated meters
// on the virtual controller (one added, one not), with real noble on the UART driver.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { VirtualController } from '../../../firmware-bridge/hci/index.ts';
import { GlucoseMeterSimulator } from '../../../firmware-bridge/peripherals/index.ts';
import { runCli, spawnCli } from '../../helpers/cli.ts';

const T = { timeout: 60_000 };

function configIn(dir: string, ble: Record<string, unknown> = {}): string {
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(
    file,
    JSON.stringify({ dataDir: path.join(dir, 'data'), ble: { allowList: ['C0:00:00:00:00:0A'], ...ble } }),
  );
  return file;
}

test('pair add, list, remove; a wrong address is exit 2 with the reason', T, (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-pair-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const config = configIn(dir);
  const add = runCli(['pair', 'add', 'C0:AA:BB:CC:DD:0E', '--name', 'Kitchen', '--config', config]);
  assert.equal(add.status, 0, add.stderr);
  assert.equal(add.stdout, 'added c0:aa:bb:cc:dd:0e\n');
  const list = runCli(['pair', 'list', '--json', '--config', config]);
  const rows = JSON.parse(list.stdout) as Array<{ address: string; source: string; name?: string }>;
  assert.deepEqual(
    rows.map((r) => [r.address, r.source, r.name]),
    [
      ['c0:aa:bb:cc:dd:0e', 'paired', 'Kitchen'],
      ['c0:00:00:00:00:0a', 'allowList', undefined],
    ],
  );
  assert.ok(fs.existsSync(path.join(dir, 'data', 'ble-paired.json')), 'the file the gateway reads');
  const bad = runCli(['pair', 'add', 'c0:aa', '--config', config]);
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, 'hddt-gateway: c0:aa is not a Bluetooth address (aa:bb:cc:dd:ee:ff)\n');
  assert.equal(
    runCli(['pair', 'remove', 'c0:aa:bb:cc:dd:0e', '--config', config]).stdout,
    'removed c0:aa:bb:cc:dd:0e\n',
  );
  const again = runCli(['pair', 'remove', 'c0:aa:bb:cc:dd:0e', '--config', config]);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /was not added with pair add/);
});

test('pair scan lists nearby meters with RSSI and whether they are added', T, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-pair-'));
  const controller = await VirtualController.start();
  const meters = [
    new GlucoseMeterSimulator(controller, { address: 'c0:00:00:00:00:0a', name: 'Known Meter' }),
    new GlucoseMeterSimulator(controller, { address: 'c0:00:00:00:00:0b', name: 'Other Meter' }),
  ];
  t.after(async () => {
    for (const m of meters) m.close();
    await controller.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const config = configIn(dir, { driver: 'uart', uartPort: controller.hostPath });
  const child = spawnCli(['pair', 'scan', '--seconds', '2', '--json', '--config', config]);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const [code] = (await once(child, 'exit')) as [number];
  assert.equal(code, 0, err);
  const seen = out
    .trim()
    .split('\n')
    .map(
      (l) => JSON.parse(l) as { address: string; name: string; known: boolean; family: string; rssi: number },
    );
  const byAddress = new Map(seen.map((d) => [d.address, d]));
  assert.equal(byAddress.get('c0:00:00:00:00:0a')?.known, true);
  assert.equal(byAddress.get('c0:00:00:00:00:0b')?.known, false);
  assert.equal(byAddress.get('c0:00:00:00:00:0b')?.name, 'Other Meter');
  assert.equal(byAddress.get('c0:00:00:00:00:0b')?.family, 'glucose');
  assert.equal(typeof byAddress.get('c0:00:00:00:00:0a')?.rssi, 'number');
});

async function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  const child = spawnCli(args, env);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const [code] = (await once(child, 'exit')) as [number];
  return { code, out, err };
}

test(
  'pair add --passkey with ble.driver dbus bonds through BlueZ; pair remove makes BlueZ forget it',
  T,
  async (t) => {
    const { FakeBluez, startPrivateBus } = await import('../../../firmware-bridge/bluez/index.ts');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-pair-'));
    const bus = await startPrivateBus();
    const bluez = await FakeBluez.start({ busAddress: bus.address });
    const meter = new GlucoseMeterSimulator(bluez, { address: 'c0:aa:bb:cc:30:01' });
    t.after(async () => {
      meter.close();
      await bluez.close();
      await bus.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    bluez.pairingMethod('c0:aa:bb:cc:30:01', { kind: 'passkey-entry', passkey: 135790 });
    const config = configIn(dir, { driver: 'dbus' });
    const env = { DBUS_SYSTEM_BUS_ADDRESS: bus.address };
    const added = await cli(
      ['pair', 'add', 'c0:aa:bb:cc:30:01', '--passkey', '135790', '--config', config],
      env,
    );
    assert.equal(added.code, 0, added.err);
    assert.equal(added.out, 'bonded and added c0:aa:bb:cc:30:01\n');
    assert.equal(bluez.isPaired('c0:aa:bb:cc:30:01'), true);
    const list = JSON.parse((await cli(['pair', 'list', '--json', '--config', config])).out) as Array<{
      bonded?: boolean;
    }>;
    assert.equal(list[0].bonded, true);
    const removed = await cli(['pair', 'remove', 'c0:aa:bb:cc:30:01', '--config', config], env);
    assert.equal(removed.code, 0, removed.err);
    assert.equal(bluez.isPaired('c0:aa:bb:cc:30:01'), false);
    const uart = configIn(fs.mkdtempSync(path.join(dir, 'u-')), { driver: 'uart', uartPort: '/dev/null' });
    const refused = await cli(['pair', 'add', 'c0:aa:bb:cc:30:01', '--passkey', '135790', '--config', uart]);
    assert.equal(refused.code, 2);
    assert.match(
      refused.err,
      /bonding with a passkey needs ble.driver "dbus" \(BlueZ\); ble.driver is "uart"/,
    );
    const badKey = await cli(
      ['pair', 'add', 'c0:aa:bb:cc:30:01', '--passkey', '12', '--config', config],
      env,
    );
    assert.equal(badKey.code, 2);
    assert.match(badKey.err, /--passkey must be the 6 digits the meter shows, got 12/);
  },
);
