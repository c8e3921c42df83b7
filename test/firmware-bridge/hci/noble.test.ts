// The real @stoprocent/noble (UART HCI driver) on top of the virtual controller, over a real pty.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { withBindings, type Characteristic, type Noble, type Peripheral } from '@stoprocent/noble';
import { VirtualController, type VirtualPeripheral } from '../../../firmware-bridge/hci/index.ts';

const T = { timeout: 15_000 };
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');
const within = <V>(p: Promise<V>, ms: number, what: string): Promise<V> =>
  Promise.race([
    p,
    new Promise<V>((_, reject) => setTimeout(() => reject(new Error(`timeout: ${what}`)), ms).unref()),
  ]);

let controller: VirtualController;
let noble: Noble;
let cgm: VirtualPeripheral;
let meter: VirtualPeripheral;
const racpWrites: { data: string; withResponse: boolean }[] = [];
const socpWrites: string[] = [];
const found = new Map<string, Peripheral>();

before(async () => {
  controller = await VirtualController.start();
  cgm = controller.addPeripheral({
    address: 'c0:11:22:33:44:55',
    name: 'Virt CGM',
    serviceUuids: ['181f'],
    appearance: 0x0d40,
    services: [
      {
        uuid: '181f',
        characteristics: [
          { uuid: '2aa8', properties: ['read'], value: hex('6e9e0116ffff') },
          { uuid: '2aa7', properties: ['notify'] },
          {
            uuid: '2a52',
            properties: ['write', 'indicate'],
            onWrite: (data, ctx) => {
              racpWrites.push({ data: data.toString('hex'), withResponse: ctx.withResponse });
            },
          },
          {
            uuid: '2aac',
            properties: ['write', 'writeWithoutResponse', 'read'],
            onRead: () => Buffer.from(Array.from({ length: 600 }, (_, i) => i & 0xff)),
            onWrite: (data, ctx) => {
              socpWrites.push(`${data.toString('hex')}:${ctx.withResponse}`);
            },
          },
        ],
      },
    ],
  });
  meter = controller.addPeripheral({
    address: 'c0:aa:bb:cc:dd:ee',
    name: 'Virt Meter',
    serviceUuids: ['1808'],
    services: [{ uuid: '1808', characteristics: [{ uuid: '2a18', properties: ['notify'] }] }],
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

const characteristic = (chars: Characteristic[], uuid: string): Characteristic => {
  const c = chars.find((x) => x.uuid === uuid);
  assert.ok(c, `characteristic ${uuid}`);
  return c;
};

test('noble powers on with the controller address', T, async () => {
  await noble.waitForPoweredOnAsync(5000);
  assert.equal(noble.state, 'poweredOn');
  assert.equal(noble.address, 'ff:ee:dd:cc:bb:aa');
});

test('noble scans and discovers both peripherals by service UUID, with names', T, async () => {
  const both = new Promise<void>((resolve) => {
    noble.on('discover', (p: Peripheral) => {
      found.set(p.advertisement.localName, p);
      if (found.size === 2) resolve();
    });
  });
  await noble.startScanningAsync(['181f', '1808'], false);
  await within(both, 5000, 'discovery');
  await noble.stopScanningAsync();
  noble.removeAllListeners('discover');
  const c = found.get('Virt CGM');
  const m = found.get('Virt Meter');
  assert.ok(c && m);
  assert.equal(c.address, 'c0:11:22:33:44:55');
  assert.equal(c.addressType, 'random');
  assert.deepEqual(c.advertisement.serviceUuids, ['181f']);
  assert.equal(c.connectable, true);
  assert.equal(c.rssi, -60);
  assert.deepEqual(m.advertisement.serviceUuids, ['1808']);
});

test('connects to both, discovers, reads (short and long), writes with and without response', T, async () => {
  const c = found.get('Virt CGM') as Peripheral;
  const m = found.get('Virt Meter') as Peripheral;
  const cgmConnected = once(cgm, 'connect');
  await c.connectAsync();
  await cgmConnected;
  await m.connectAsync();
  assert.equal(cgm.connected && meter.connected, true);
  assert.notEqual(cgm.connectionHandle, meter.connectionHandle);

  const { services, characteristics } = await c.discoverAllServicesAndCharacteristicsAsync();
  assert.deepEqual(
    services.map((s) => s.uuid),
    ['1800', '181f'],
  );
  assert.deepEqual(
    characteristics.map((x) => `${x.uuid}:${x.properties.join('|')}`),
    [
      '2a00:read',
      '2a01:read',
      '2aa8:read',
      '2aa7:notify',
      '2a52:write|indicate',
      '2aac:read|writeWithoutResponse|write',
    ],
  );
  assert.equal(c.mtu, 247);
  assert.equal(cgm.mtu, 247);
  assert.equal((await characteristic(characteristics, '2a00').readAsync()).toString(), 'Virt CGM');
  assert.deepEqual(await characteristic(characteristics, '2aa8').readAsync(), hex('6e9e0116ffff'));
  const long = await characteristic(characteristics, '2aac').readAsync();
  assert.equal(long.length, 600, 'Read + Read Blob');
  assert.deepEqual(long, Buffer.from(Array.from({ length: 600 }, (_, i) => i & 0xff)));

  const racp = characteristic(characteristics, '2a52');
  const socp = characteristic(characteristics, '2aac');
  await racp.writeAsync(hex('0101'), false);
  await socp.writeAsync(hex('1a'), true);
  await socp.writeAsync(Buffer.alloc(400, 0x5a), false); // prepared (long) write
  await socp.readAsync(); // orders after the command above
  assert.deepEqual(racpWrites, [{ data: '0101', withResponse: true }]);
  assert.deepEqual(socpWrites, ['1a:false', `${'5a'.repeat(400)}:true`]);
  assert.deepEqual(await services[1].discoverIncludedServicesAsync(), []);
  assert.equal(await c.updateRssiAsync(), -60);

  const descriptors = await characteristic(characteristics, '2aa7').discoverDescriptorsAsync();
  assert.deepEqual(
    descriptors.map((d) => d.uuid),
    ['2902'],
  );
});

test('subscriptions deliver notifications and confirmed indications, on the right link', T, async () => {
  const c = found.get('Virt CGM') as Peripheral;
  const m = found.get('Virt Meter') as Peripheral;
  const chars = c.services.find((s) => s.uuid === '181f')?.characteristics ?? [];
  const meas = characteristic(chars, '2aa7');
  const racp = characteristic(chars, '2a52');
  const subs: unknown[] = [];
  cgm.on('subscribe', (uuid, sub) => subs.push([uuid, sub]));
  await meas.subscribeAsync();
  await racp.subscribeAsync();
  assert.deepEqual(subs, [
    ['2aa7', { notify: true, indicate: false }],
    ['2a52', { notify: false, indicate: true }],
  ]);
  assert.equal(cgm.isSubscribed('2aa7'), true);
  assert.equal(cgm.isSubscribed('2a52'), true);

  const got: string[] = [];
  meas.on('data', (d: Buffer, isNotification: boolean) => got.push(`${d.toString('hex')}:${isNotification}`));
  const indicated = once(racp, 'data');
  assert.equal(cgm.notify('2aa7', hex('0e 00 6400 0100')), true);
  assert.equal(cgm.notify('2aa7', hex('0e 00 6500 0600')), true);
  await cgm.indicate('2a52', hex('06 00 01 01'));
  assert.deepEqual((await indicated)[0], hex('06000101'));
  assert.deepEqual(got, ['0e0064000100:true', '0e0065000600:true']);

  const { characteristics } = await m.discoverAllServicesAndCharacteristicsAsync();
  const gm = characteristic(characteristics, '2a18');
  await gm.subscribeAsync();
  const meterData = once(gm, 'data');
  meter.notify('2a18', hex('1b 0100'));
  assert.deepEqual((await meterData)[0], hex('1b0100'));
  assert.deepEqual(got.length, 2, 'the CGM did not see the meter notification');
});

test(
  'a controller-dropped link is seen as a disconnect (reason 0x08), then noble reconnects',
  T,
  async () => {
    const c = found.get('Virt CGM') as Peripheral;
    const disconnected = once(c, 'disconnect');
    const peripheralSide = once(cgm, 'disconnect');
    cgm.dropLink();
    assert.deepEqual((await within(disconnected, 3000, 'noble disconnect'))[0], 0x08);
    assert.deepEqual((await peripheralSide)[0].reason, 0x08);
    assert.equal(cgm.connected, false);
    assert.equal(meter.connected, true, 'the other link is untouched');

    await c.connectAsync();
    assert.equal(cgm.connected, true);
    assert.equal(cgm.isSubscribed('2aa7'), false, 'CCCDs start cleared on a new link');
    const { characteristics } = await c.discoverSomeServicesAndCharacteristicsAsync(
      ['181f'],
      ['2aa8', '2aa7'],
    );
    assert.deepEqual(await characteristic(characteristics, '2aa8').readAsync(), hex('6e9e0116ffff'));
  },
);

test('20,160 notifications arrive complete and in order', T, async (t) => {
  const c = found.get('Virt CGM') as Peripheral;
  const chars = c.services.find((s) => s.uuid === '181f')?.characteristics ?? [];
  const meas = characteristic(chars, '2aa7');
  await meas.subscribeAsync();
  const N = 20_160;
  let next = 0;
  let outOfOrder = 0;
  const all = new Promise<void>((resolve) => {
    meas.on('data', (d: Buffer) => {
      if (d.readUInt32LE(0) !== next) outOfOrder++;
      next++;
      if (next === N) resolve();
    });
  });
  const started = performance.now();
  const record = Buffer.alloc(15);
  for (let i = 0; i < N; i++) {
    record.writeUInt32LE(i, 0);
    assert.equal(await cgm.notifyPaced('2aa7', record), true);
  }
  await within(all, 10_000, 'all notifications');
  const ms = performance.now() - started;
  assert.equal(outOfOrder, 0);
  t.diagnostic(`${N} notifications in ${ms.toFixed(0)} ms (${Math.round((N / ms) * 1000)}/s)`);
});

test('a host disconnect reaches the peripheral as 0x13; noble sees 0x16', T, async () => {
  const m = found.get('Virt Meter') as Peripheral;
  const side = once(meter, 'disconnect');
  const seen = once(m, 'disconnect');
  await m.disconnectAsync();
  assert.equal((await side)[0].reason, 0x13);
  assert.equal((await seen)[0], 0x16);
});
