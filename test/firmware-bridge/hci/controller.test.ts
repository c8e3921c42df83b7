// The controller over a real socat pty, driven by raw HCI bytes from a serialport "host".
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeAcl } from '../../../firmware-bridge/hci/h4.ts';
import { Op } from '../../../firmware-bridge/hci/hci-constants.ts';
import { VirtualController, type VirtualPeripheral } from '../../../firmware-bridge/hci/index.ts';
import { encodeL2cap } from '../../../firmware-bridge/hci/l2cap.ts';
import { RawHost } from './raw-host.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');
const T = { timeout: 10_000 };

const ev = (s: string): string => s.replace(/\s/g, '').toLowerCase();

let controller: VirtualController;
let host: RawHost;
let cgm: VirtualPeripheral;
let meter: VirtualPeripheral;

before(async () => {
  controller = await VirtualController.start();
  cgm = controller.addPeripheral({
    address: '11:22:33:44:55:66',
    addressType: 'public',
    name: 'Virt CGM',
    serviceUuids: ['181f', '1808'],
    services: [{ uuid: '181f', characteristics: [{ uuid: '2aa7', properties: ['notify'] }] }],
  });
  meter = controller.addPeripheral({
    address: 'c1:00:00:00:00:02',
    name: 'Meter',
    serviceUuids: ['1808'],
    services: [{ uuid: '1808', characteristics: [{ uuid: '2a18', properties: ['notify'] }] }],
  });
  host = await RawHost.open(controller.hostPath);
});

after(async () => {
  await host?.close();
  await controller?.close();
});

test('Reset is answered with exactly the bytes noble waits for', T, async () => {
  host.command(Op.reset);
  assert.equal(await host.nextEvent(), ev('04 0E 04 01 03 0C 00'));
  assert.deepEqual(host.firstRawChunk().subarray(0, 7), hex('04 0E 04 01 03 0C 00'));
});

test('init commands get the replies of the verified table (E.7)', T, async () => {
  const rows: [Buffer, string][] = [
    [hex('01 03 20 00'), '04 0E 0C 01 03 20 00 0000000000000000'],
    [hex('01 01 0C 08 FF FF FB FF 07 F8 BF 3D'), '04 0E 04 01 01 0C 00'],
    [hex('01 01 20 08 5F 00 00 00 00 00 00 00'), '04 0E 04 01 01 20 00'],
    [hex('01 01 10 00'), '04 0E 0C 01 01 10 00 09 00 00 09 F1 05 00 00'],
    [hex('01 09 10 00'), '04 0E 0A 01 09 10 00 AA BB CC DD EE FF'],
    [hex('01 6D 0C 02 01 00'), '04 0E 04 01 6D 0C 00'],
    [hex('01 6C 0C 00'), '04 0E 06 01 6C 0C 00 01 00'],
    [hex('01 02 20 00'), '04 0E 07 01 02 20 00 FB 00 08'],
    [hex('01 0C 20 02 00 01'), '04 0E 04 01 0C 20 00'],
    [hex('01 0B 20 07 01 12 00 12 00 00 00'), '04 0E 04 01 0B 20 00'],
    [hex('01 FF FC 00'), '04 0E 04 01 FF FC 01'],
  ];
  for (const [cmd, reply] of rows) {
    host.send(cmd);
    assert.equal(await host.nextEvent(), ev(reply), `reply to ${cmd.toString('hex')}`);
  }
});

test('scanning reports ADV_IND then SCAN_RSP per peripheral, once with duplicate filtering', T, async () => {
  host.send(hex('01 0C 20 02 01 01'));
  assert.equal(await host.nextEvent(), ev('04 0E 04 01 0C 20 00'));
  const reports = [
    await host.nextEvent(),
    await host.nextEvent(),
    await host.nextEvent(),
    await host.nextEvent(),
  ];
  assert.equal(reports[0], ev('04 3E 15 02 01 00 00 66 55 44 33 22 11 09 02 01 06 05 03 1F 18 08 18 C4'));
  assert.equal(reports[1], ev('04 3E 16 02 01 04 00 66 55 44 33 22 11 0A 09 09 56 69 72 74 20 43 47 4D C4'));
  assert.ok(reports[2].startsWith(ev('04 3E 13 02 01 00 01 02 00 00 00 00 C1')), reports[2]);
  assert.ok(
    reports[3].startsWith(ev('04 3E 13 02 01 04 01 02 00 00 00 00 C1 07 06 09 4D 65 74 65 72 C4')),
    reports[3],
  );
  assert.deepEqual(await host.quiet(250), [], 'no duplicates');
  host.send(hex('01 0C 20 02 00 01'));
  assert.equal(await host.nextEvent(), ev('04 0E 04 01 0C 20 00'));
  assert.equal(controller.isScanning, false);
});

test('connect, ATT over ACL with Number Of Completed Packets, host disconnect', T, async () => {
  const connected = new Promise((r) => cgm.once('connect', r));
  host.send(hex('01 0D 20 19 60 00 30 00 00 00 66 55 44 33 22 11 00 06 00 12 00 00 00 2A 00 04 00 06 00'));
  assert.equal(await host.nextEvent(), ev('04 0F 04 00 01 0D 20'));
  assert.equal(
    await host.nextEvent(),
    ev('04 3E 13 01 00 40 00 00 00 66 55 44 33 22 11 12 00 00 00 2A 00 00'),
  );
  assert.deepEqual(await connected, { connectionHandle: 0x40, centralAddress: 'ff:ee:dd:cc:bb:aa' });
  // Exchange MTU, split into two host fragments (PB 00 then 01)
  const frame = encodeL2cap(4, hex('02 00 01'));
  host.send(Buffer.concat([encodeAcl(0x40, 0, frame.subarray(0, 5)), encodeAcl(0x40, 1, frame.subarray(5))]));
  const got = [await host.next(), await host.next()];
  const nocp = got.find((p) => p.type === 'event');
  const acl = got.find((p) => p.type === 'acl');
  assert.ok(nocp?.type === 'event' && acl?.type === 'acl');
  assert.deepEqual(nocp.params, hex('01 40 00 02 00'), 'both fragments acknowledged');
  assert.deepEqual(
    { handle: acl.handle, pb: acl.pb, data: acl.data.toString('hex') },
    {
      handle: 0x40,
      pb: 2,
      data: ev('03 00 04 00 03 F7 00'),
    },
  );
  const gone = new Promise((r) => cgm.once('disconnect', r));
  host.send(hex('01 06 04 03 40 00 13'));
  assert.equal(await host.nextEvent(), ev('04 0F 04 00 01 06 04'));
  assert.equal(await host.nextEvent(), ev('04 05 04 00 40 00 16'));
  assert.deepEqual(await gone, { connectionHandle: 0x40, reason: 0x13 });
  assert.equal(cgm.connected, false);
});

test('SMP pairing is refused, unknown signaling is rejected, dropLink reports 0x08', T, async () => {
  host.send(hex('01 0D 20 19 60 00 30 00 00 01 02 00 00 00 00 C1 00 06 00 12 00 00 00 2A 00 04 00 06 00'));
  assert.equal(await host.nextEvent(), ev('04 0F 04 00 01 0D 20'));
  const complete = await host.nextEvent();
  assert.ok(complete.startsWith(ev('04 3E 13 01 00 41 00 00 01 02 00 00 00 00 C1')), complete);
  host.send(encodeAcl(0x41, 0, encodeL2cap(6, hex('01 03 00 01 10 00 01'))));
  host.send(encodeAcl(0x41, 0, encodeL2cap(5, hex('0A 07 02 00 01 00'))));
  const replies = [...(await host.quiet(200))];
  const acls = replies.flatMap((p) => (p.type === 'acl' ? [p.data.toString('hex')] : []));
  assert.deepEqual(acls, [ev('02 00 06 00 05 05'), ev('06 00 05 00 01 07 02 00 00 00')]);
  meter.dropLink();
  assert.equal(await host.nextEvent(), ev('04 05 04 00 41 00 08'));
  assert.equal(meter.connected, false);
});

test('creating a connection to an absent device waits until cancelled', T, async () => {
  host.send(hex('01 0D 20 19 60 00 30 00 00 01 99 99 99 99 99 C9 00 06 00 12 00 00 00 2A 00 04 00 06 00'));
  assert.equal(await host.nextEvent(), ev('04 0F 04 00 01 0D 20'));
  assert.deepEqual(await host.quiet(150), []);
  host.send(hex('01 0E 20 00'));
  assert.equal(await host.nextEvent(), ev('04 0E 04 01 0E 20 00'));
  assert.equal(
    await host.nextEvent(),
    ev('04 3E 13 01 02 00 00 00 01 99 99 99 99 99 C9 00 00 00 00 00 00 00'),
  );
});

test('a peripheral that starts advertising later completes a pending connection', T, async () => {
  meter.setAdvertising(false);
  host.send(hex('01 0D 20 19 60 00 30 00 00 01 02 00 00 00 00 C1 00 06 00 12 00 00 00 2A 00 04 00 06 00'));
  assert.equal(await host.nextEvent(), ev('04 0F 04 00 01 0D 20'));
  assert.deepEqual(await host.quiet(100), []);
  meter.setAdvertising(true);
  const complete = await host.nextEvent();
  assert.ok(complete.startsWith(ev('04 3E 13 01 00')), complete);
  // HCI Reset drops the link without an event to the host
  const gone = new Promise((r) => meter.once('disconnect', r));
  host.command(Op.reset);
  assert.equal(await host.nextEvent(), ev('04 0E 04 01 03 0C 00'));
  await gone;
  assert.equal(meter.connected, false);
});

test('the peripheral API refuses what a real stack would refuse', T, async () => {
  assert.throws(
    () => controller.addPeripheral({ address: '11:22:33:44:55:66', services: [] }),
    /already exists/,
  );
  assert.throws(
    () => controller.addPeripheral({ address: 'ff:ee:dd:cc:bb:aa', services: [] }),
    /own address/,
  );
  assert.throws(() => controller.addPeripheral({ address: 'nope', services: [] }), {
    code: 'ERR_INVALID_ARGUMENT',
  });
  assert.equal(cgm.connected, false);
  assert.equal(cgm.notify('2aa7', hex('01')), false, 'nobody connected');
  assert.equal(cgm.isSubscribed('2aa7'), false);
  await assert.rejects(cgm.indicate('2aa7', hex('01')), /not connected/);
  assert.throws(() => cgm.notify('2a99', hex('01')), { code: 'ERR_INVALID_ARGUMENT' });
  cgm.setValue('2aa7', hex('0102'));
  assert.deepEqual(cgm.characteristic('0x2AA7').value, hex('0102'));
});
