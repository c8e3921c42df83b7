// noble against a BT 5 flavoured controller: extended advertising (noble switches to extended scanning
// and LE Extended Create Connection), data length extension, a non-connectable beacon, and a
// peripheral whose firmware stops answering.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { withBindings, type Noble, type Peripheral } from '@stoprocent/noble';
import { Op } from '../../../firmware-bridge/hci/hci-constants.ts';
import { VirtualController, type VirtualPeripheral } from '../../../firmware-bridge/hci/index.ts';

const T = { timeout: 15_000 };
const within = <V>(p: Promise<V>, ms: number, what: string): Promise<V> =>
  Promise.race([
    p,
    new Promise<V>((_, reject) => setTimeout(() => reject(new Error(`timeout: ${what}`)), ms).unref()),
  ]);

let controller: VirtualController;
let noble: Noble;
let sensor: VirtualPeripheral;
const opcodes = new Set<number>();
const found = new Map<string, Peripheral>();

before(async () => {
  controller = await VirtualController.start({
    extendedAdvertising: true,
    dataLengthExtension: true,
    address: '00:1b:dc:00:00:01',
  });
  controller.on('command', (op) => opcodes.add(op));
  sensor = controller.addPeripheral({
    address: '00:60:37:00:00:07',
    addressType: 'public',
    name: 'Ext CGM',
    serviceUuids: ['181f'],
    mtu: 100,
    services: [
      {
        uuid: '181f',
        characteristics: [
          { uuid: '2aa8', properties: ['read'], value: Buffer.from([1, 2, 3]) },
          { uuid: '2aa7', properties: ['notify'] },
        ],
      },
    ],
  });
  controller.addPeripheral({
    address: 'c2:00:00:00:00:09',
    name: 'Beacon',
    serviceUuids: ['181f'],
    connectable: false,
    services: [],
  });
  noble = withBindings('hci', controller.nobleOptions());
});

after(async () => {
  if (noble) {
    await noble.stopScanningAsync().catch(() => undefined);
    noble.stop();
  }
  await controller?.close();
});

test('noble detects the BT 5 features and scans with the extended commands', T, async () => {
  await noble.waitForPoweredOnAsync(5000);
  assert.equal(noble.address, '00:1b:dc:00:00:01');
  const both = new Promise<void>((resolve) => {
    noble.on('discover', (p: Peripheral) => {
      found.set(p.advertisement.localName, p);
      if (found.size === 2) resolve();
    });
  });
  await noble.startScanningAsync(['181f'], false);
  await within(both, 5000, 'discovery');
  await noble.stopScanningAsync();
  assert.ok(opcodes.has(Op.leSetExtendedScanParameters) && opcodes.has(Op.leSetExtendedScanEnable));
  assert.ok(opcodes.has(Op.leReadMaxDataLength));
  const s = found.get('Ext CGM');
  assert.equal(s?.addressType, 'public');
  assert.ok(s?.connectable);
  assert.ok(!found.get('Beacon')?.connectable, 'ADV_NONCONN_IND is not connectable');
});

test('extended create connection, data length update, and the server MTU', T, async () => {
  const s = found.get('Ext CGM') as Peripheral;
  await s.connectAsync();
  assert.ok(opcodes.has(Op.leExtendedCreateConnection));
  const { characteristics } = await s.discoverAllServicesAndCharacteristicsAsync();
  assert.ok(opcodes.has(Op.leSetDataLength));
  assert.equal(s.mtu, 100);
  const feature = characteristics.find((c) => c.uuid === '2aa8');
  assert.deepEqual(await feature?.readAsync(), Buffer.from([1, 2, 3]));
  const meas = characteristics.find((c) => c.uuid === '2aa7');
  await meas?.subscribeAsync();
  const data = once(meas as NonNullable<typeof meas>, 'data');
  assert.throws(
    () => sensor.notify('2aa7', Buffer.alloc(98)),
    { code: 'ERR_TOO_LONG' },
    'MTU-3 = 97 bytes max',
  );
  sensor.notify('2aa7', Buffer.alloc(97, 1));
  assert.deepEqual((await data)[0], Buffer.alloc(97, 1));
});

test('an unresponsive peripheral leaves the request unanswered until the link drops', T, async () => {
  const s = found.get('Ext CGM') as Peripheral;
  const feature = s.services[1].characteristics.find((c) => c.uuid === '2aa8');
  assert.ok(feature);
  sensor.setUnresponsive(true);
  let outcome = 'pending';
  const read = feature.readAsync().then(
    () => (outcome = 'answered'),
    (e: Error) => (outcome = e.message),
  );
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(outcome, 'pending');
  const gone = once(s, 'disconnect');
  sensor.dropLink();
  assert.equal((await within(gone, 3000, 'disconnect'))[0], 0x08);
  await within(read, 3000, 'read outcome');
  assert.match(outcome, /Disconnected/, 'noble fails the stalled read when the link goes');
  sensor.setUnresponsive(false);
});

test('a removed peripheral cannot be reached; connecting waits (cancelled by the test)', T, async () => {
  const s = found.get('Ext CGM') as Peripheral;
  sensor.remove();
  assert.equal(controller.peripherals.length, 1);
  let outcome = 'pending';
  const attempt = s.connectAsync().then(
    () => (outcome = 'connected'),
    (e: Error) => (outcome = e.message),
  );
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(outcome, 'pending', 'an absent device never completes the connection');
  s.cancelConnect();
  await within(attempt, 3000, 'cancelled connect');
  assert.notEqual(outcome, 'connected');
});
