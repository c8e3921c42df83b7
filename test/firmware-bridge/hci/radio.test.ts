// Two virtual controllers on one virtual radio, each driven by raw HCI bytes over its own real pty: controller B's
// host advertises (peripheral role), controller A's host scans and connects (central role), ACL data crosses the
// radio both ways, and every way a link can end tells each host what a real pair of controllers would.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeAcl, type H4Packet } from '../../../firmware-bridge/hci/h4.ts';
import { Op } from '../../../firmware-bridge/hci/hci-constants.ts';
import { VirtualController } from '../../../firmware-bridge/hci/index.ts';
import { encodeL2cap } from '../../../firmware-bridge/hci/l2cap.ts';
import { VirtualRadio } from '../../../firmware-bridge/hci/radio.ts';
import { RawHost } from './raw-host.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');
const ev = (s: string): string => s.replace(/\s/g, '').toLowerCase();
const T = { timeout: 10_000 };

const A_ADDR = 'a0:00:00:00:00:0a';
const B_ADDR = 'b0:00:00:00:00:0b';
const ADV = hex('02 01 06 03 03 1f 18'); // flags, 16-bit service 0x181F
const RSP = hex('05 09 53 69 6d 42'); // Complete Local Name "SimB"

let radio: VirtualRadio;
let a: VirtualController;
let b: VirtualController;
let hostA: RawHost;
let hostB: RawHost;

/** LE Set Advertising/Scan Response Data parameters: length octet + 31 octets. */
const adParams = (data: Buffer): Buffer =>
  Buffer.concat([Buffer.from([data.length]), data, Buffer.alloc(31 - data.length)]);
const advParams = (type = 0): Buffer =>
  hex(`a000 a000 ${type.toString(16).padStart(2, '0')} 00 00 000000000000 07 00`);

async function expectComplete(host: RawHost, opcode: number, status = 0): Promise<void> {
  const op = Buffer.alloc(2);
  op.writeUInt16LE(opcode);
  assert.equal(
    await host.nextEvent(),
    ev(`04 0E 04 01 ${op.toString('hex')} ${status.toString(16).padStart(2, '0')}`),
  );
}

async function advertiseB(): Promise<void> {
  hostB.command(Op.leSetAdvertisingParameters, advParams());
  await expectComplete(hostB, Op.leSetAdvertisingParameters);
  hostB.command(Op.leSetAdvertisingData, adParams(ADV));
  await expectComplete(hostB, Op.leSetAdvertisingData);
  hostB.command(Op.leSetScanResponseData, adParams(RSP));
  await expectComplete(hostB, Op.leSetScanResponseData);
  hostB.command(Op.leSetAdvertiseEnable, hex('01'));
  await expectComplete(hostB, Op.leSetAdvertiseEnable);
}

/** A's host asks to connect to B (legacy LE Create Connection, public peer). */
async function createConnection(): Promise<void> {
  const peer = Buffer.from(B_ADDR.split(':').reverse().join(''), 'hex').toString('hex');
  hostA.send(hex(`01 0D 20 19 6000 3000 00 00 ${peer} 00 0600 1200 0000 2A00 0400 0600`));
  assert.equal(await hostA.nextEvent(), ev('04 0F 04 00 01 0D 20'));
}

/** A connects to B; both hosts see their Connection Complete. */
async function connect(): Promise<{ atA: string; atB: string }> {
  await createConnection();
  return { atA: await hostA.nextEvent(), atB: await hostB.nextEvent() };
}

/** Fields of an LE Connection Complete event given as hex. */
const handleHex = (e: string): string => e.slice(10, 14);
const handleBytes = (e: string): Buffer => Buffer.from(handleHex(e), 'hex');
const role = (e: string): number => parseInt(e.slice(14, 16), 16);

before(async () => {
  radio = new VirtualRadio();
  a = await VirtualController.start({ radio, address: A_ADDR });
  b = await VirtualController.start({ radio, address: 'ff:00:00:00:00:ff' });
  hostA = await RawHost.open(a.hostPath);
  hostB = await RawHost.open(b.hostPath);
});

after(async () => {
  await hostA?.close();
  await hostB?.close();
  await a?.close();
  await b?.close();
});

test("Zephyr's vendor Write BD_ADDR sets the address Read BD_ADDR answers", T, async () => {
  hostB.send(hex('01 06 FC 06 0b 00 00 00 00 b0'));
  await expectComplete(hostB, Op.vsWriteBdAddr);
  hostB.command(Op.readBdAddr);
  assert.equal(await hostB.nextEvent(), ev('04 0E 0A 01 09 10 00 0b 00 00 00 00 b0'));
  assert.equal(b.address, B_ADDR);
});

test("a scan on A hears what B's host advertises, and stops hearing it when B stops", T, async () => {
  await advertiseB();
  hostA.command(Op.leSetScanEnable, hex('01 00')); // duplicates allowed
  await expectComplete(hostA, Op.leSetScanEnable);
  const reports = [await hostA.nextEvent(), await hostA.nextEvent()];
  assert.equal(reports[0], ev(`04 3E 13 02 01 00 00 0b 00 00 00 00 b0 07 ${ADV.toString('hex')} C4`));
  assert.equal(reports[1], ev(`04 3E 12 02 01 04 00 0b 00 00 00 00 b0 06 ${RSP.toString('hex')} C4`));
  // parameters cannot change while advertising
  hostB.command(Op.leSetAdvertisingParameters, advParams(3));
  await expectComplete(hostB, Op.leSetAdvertisingParameters, 0x0c);
  hostB.command(Op.leSetAdvertiseEnable, hex('00'));
  await expectComplete(hostB, Op.leSetAdvertiseEnable);
  await hostA.quiet(150); // reports already on their way
  assert.deepEqual(await hostA.quiet(250), [], 'no reports once B stopped');
  hostA.command(Op.leSetScanEnable, hex('00 00'));
  await expectComplete(hostA, Op.leSetScanEnable);
});

test(
  'a connection from A reaches B as LE Connection Complete, role peripheral; ACL crosses both ways',
  T,
  async () => {
    await advertiseB();
    const { atA, atB } = await connect();
    assert.equal(atA, ev('04 3E 13 01 00 40 00 00 00 0b 00 00 00 00 b0 1200 0000 2A00 00'), 'A: central');
    assert.equal(atB, ev('04 3E 13 01 00 40 00 01 00 0a 00 00 00 00 a0 1200 0000 2A00 00'), 'B: peripheral');
    assert.equal(b.advertiser.isAdvertising, false, 'advertising ended with the connection');
    // A's host sends an ATT Exchange MTU in two fragments; B's host gets it as one frame, A gets its NOCP
    const frame = encodeL2cap(4, hex('02 f7 00'));
    hostA.send(
      Buffer.concat([encodeAcl(0x40, 0, frame.subarray(0, 5)), encodeAcl(0x40, 1, frame.subarray(5))]),
    );
    assert.equal(await hostA.nextEvent(), ev('04 13 05 01 40 00 02 00'));
    assert.deepEqual(await hostB.nextAcl(), { handle: 0x40, pb: 2, data: frame.toString('hex') });
    // B's host answers with PB=00 (as bleno does); A's host gets PB=10
    const answer = encodeL2cap(4, hex('03 00 01'));
    hostB.send(encodeAcl(0x40, 0, answer));
    assert.equal(await hostB.nextEvent(), ev('04 13 05 01 40 00 01 00'));
    assert.deepEqual(await hostA.nextAcl(), { handle: 0x40, pb: 2, data: answer.toString('hex') });
    // Read RSSI on the radio link
    hostA.command(Op.readRssi, hex('40 00'));
    assert.equal(await hostA.nextEvent(), ev('04 0E 07 01 05 14 00 40 00 C4'));
    // A's host disconnects: it hears 0x16, B's host the reason A sent
    hostA.send(hex('01 06 04 03 40 00 13'));
    assert.equal(await hostA.nextEvent(), ev('04 0F 04 00 01 06 04'));
    assert.equal(await hostA.nextEvent(), ev('04 05 04 00 40 00 16'));
    assert.equal(await hostB.nextEvent(), ev('04 05 04 00 40 00 13'));
  },
);

test("B's host ends the link; then the air loses one; then A resets", T, async () => {
  await advertiseB();
  let { atA, atB } = await connect();
  assert.equal(role(atA), 0);
  assert.equal(role(atB), 1);
  hostB.send(Buffer.concat([hex('01 06 04 03'), handleBytes(atB), hex('13')]));
  assert.equal(await hostB.nextEvent(), ev('04 0F 04 00 01 06 04'));
  assert.equal(await hostB.nextEvent(), ev(`04 05 04 00 ${handleHex(atB)} 16`));
  assert.equal(await hostA.nextEvent(), ev(`04 05 04 00 ${handleHex(atA)} 13`));

  await advertiseB();
  ({ atA, atB } = await connect());
  a.dropRadioLinks();
  assert.equal(await hostA.nextEvent(), ev(`04 05 04 00 ${handleHex(atA)} 08`));
  assert.equal(await hostB.nextEvent(), ev(`04 05 04 00 ${handleHex(atB)} 08`));

  await advertiseB();
  ({ atB } = await connect());
  hostA.command(Op.reset);
  await expectComplete(hostA, Op.reset);
  assert.equal(await hostB.nextEvent(), ev(`04 05 04 00 ${handleHex(atB)} 08`), 'B: supervision timeout');
});

test(
  'a connection attempt waits for B to advertise, and data sent after a link ends goes nowhere',
  T,
  async () => {
    await createConnection();
    assert.deepEqual(await hostA.quiet(150), [], 'A waits');
    await advertiseB();
    const [atA, atB] = [await hostA.nextEvent(), await hostB.nextEvent()];
    assert.equal(
      atA,
      ev('04 3E 13 01 00 40 00 00 00 0b 00 00 00 00 b0 1200 0000 2A00 00'),
      'A reset: 0x40 again',
    );
    assert.equal(role(atB), 1);
    hostB.send(Buffer.concat([hex('01 06 04 03'), handleBytes(atB), hex('13')]));
    await hostB.nextEvent();
    await hostB.nextEvent();
    assert.equal(await hostA.nextEvent(), ev('04 05 04 00 40 00 13'));
    hostA.send(encodeAcl(0x40, 0, encodeL2cap(4, hex('0a 01 00'))));
    const late: H4Packet[] = await hostB.quiet(200);
    assert.deepEqual(late, [], 'nothing reaches B');
  },
);
