// Faults on demand, seen through the real noble: link drop in the middle of a RACP transfer (and the
// resumed backfill), corrupted CRCs, malformed notifications, an unresponsive peripheral.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { decodeCgmMeasurement } from '../../../drivers/codecs/cgm-measurement.ts';
import { CodecError } from '../../../drivers/codecs/codec-error.ts';
import { decodeGlucoseMeasurement } from '../../../drivers/codecs/glucose-measurement.ts';
import {
  CgmSimulator,
  GlucoseMeterSimulator,
  MALFORMED_CGM_MEASUREMENT,
  MALFORMED_GLUCOSE_MEASUREMENT,
  type TransferEnd,
} from '../../../firmware-bridge/peripherals/index.ts';
import {
  connect,
  delay,
  discover,
  hex,
  request,
  startRig,
  u16,
  until,
  within,
  type Link,
  type Rig,
} from './helpers.ts';

const T = { timeout: 20_000 };
const CRC = { crc: true };

let rig: Rig;
let cgm: CgmSimulator;
let meter: GlucoseMeterSimulator;
let link: Link;

before(async () => {
  rig = await startRig();
  cgm = new CgmSimulator(rig.controller, {
    address: 'c0:11:22:33:55:01',
    history: { count: 300 },
    live: false,
    faults: { dropLinkAfterRecords: 100, dropLinkTimes: 1 },
  });
  meter = new GlucoseMeterSimulator(rig.controller, {
    address: 'c0:aa:bb:cc:ee:01',
    history: { count: 20 },
  });
});

after(async () => {
  cgm?.close();
  meter?.close();
  await rig?.close();
});

async function subscribeCgm(): Promise<Link> {
  const l = await connect(await discover(rig.noble, '181f', cgm.address));
  await l.char('2aa7').subscribeAsync();
  await l.char('2a52').subscribeAsync();
  return l;
}

test(
  'drop the link after N records: noble gets exactly N, then reason 0x08; resume backfills the rest',
  T,
  async () => {
    link = await subscribeCgm();
    const got: Buffer[] = [];
    link.char('2aa7').on('data', (d: Buffer) => got.push(d));
    const indications: Buffer[] = [];
    link.char('2a52').on('data', (d: Buffer) => indications.push(d));
    const disconnected = once(link.peripheral, 'disconnect');
    await link.char('2a52').writeAsync(hex('01 01'), false);
    const [reason] = await within(disconnected, 5000, 'disconnect');
    assert.equal(reason, 0x08);
    assert.equal(got.length, 100);
    assert.equal(indications.length, 0, 'no response after a dropped transfer');
    const lastOffset = decodeCgmMeasurement(got[99], CRC).records[0].timeOffsetMinutes;
    assert.equal(lastOffset, 99);
    assert.equal(cgm.faults.dropLinkTimes, 0, 'the fault has fired its one time');

    // the gateway reconnects and asks only for what is missing
    link = await subscribeCgm();
    const rest: Buffer[] = [];
    link.char('2aa7').on('data', (d: Buffer) => rest.push(d));
    assert.deepEqual(
      await request(link.char('2a52'), hex(`01 03 01 ${u16(lastOffset + 1)}`)),
      hex('06 00 01 01'),
    );
    assert.equal(rest.length, 200);
    assert.deepEqual(
      cgm.racpRequests.map((r) => r.hex),
      ['0101', '0103016400'],
    );
    link.char('2aa7').removeAllListeners('data');
  },
);

test('corrupt the CRC of every Nth record (transfer and live)', T, async () => {
  cgm.setFaults({ dropLinkAfterRecords: null, corruptCrcEvery: 50 });
  const got: Buffer[] = [];
  link.char('2aa7').on('data', (d: Buffer) => got.push(d));
  assert.deepEqual(await request(link.char('2a52'), hex('01 01')), hex('06 00 01 01'));
  const records = got.map((b) => decodeCgmMeasurement(b, CRC).records[0]);
  assert.equal(records.length, 300);
  const bad = records.filter((r) => r.crc === 'mismatch').map((r) => r.timeOffsetMinutes);
  assert.deepEqual(bad, [49, 99, 149, 199, 249, 299]);
  assert.ok(records.filter((r) => r.crc === 'ok').length === 294);
  // stored records stay intact: the fault is applied on the air only
  assert.ok(cgm.records.every((r) => decodeCgmMeasurement(r.bytes, CRC).records[0].crc === 'ok'));

  cgm.setFaults({ corruptCrcEvery: 2 });
  got.length = 0;
  cgm.tick();
  cgm.tick();
  await until(() => got.length === 2, 3000, 'two live records');
  assert.deepEqual(
    got.map((b) => decodeCgmMeasurement(b, CRC).records[0].crc),
    ['ok', 'mismatch'],
  );
  cgm.setFaults({ corruptCrcEvery: null });
  link.char('2aa7').removeAllListeners('data');
});

test('malformed notifications before every Nth record; the real records still follow', T, async () => {
  cgm.setFaults({ malformedEvery: 100 });
  const got: Buffer[] = [];
  link.char('2aa7').on('data', (d: Buffer) => got.push(d));
  assert.deepEqual(await request(link.char('2a52'), hex(`01 03 01 ${u16(0)}`)), hex('06 00 01 01'));
  assert.equal(got.length, 302 + 3);
  const malformed = got.filter((b) => b.equals(MALFORMED_CGM_MEASUREMENT));
  assert.equal(malformed.length, 3);
  assert.throws(() => decodeCgmMeasurement(malformed[0], CRC), CodecError);
  assert.equal(got.indexOf(malformed[0]), 99, 'sent before the 100th record');
  const valid = got.filter((b) => !b.equals(MALFORMED_CGM_MEASUREMENT));
  assert.equal(valid.length, 302);
  cgm.setFaults({ malformedEvery: null });
  assert.equal(cgm.sendMalformedNotification(), true, 'on demand too');
  await until(() => got.length === 306, 3000, 'malformed on demand');
  link.char('2aa7').removeAllListeners('data');
});

test('unresponsive: requests hang while the link stays up; a new link answers again', T, async () => {
  cgm.setFaults({ unresponsive: true });
  let settled = false;
  const read = link
    .char('2aa8')
    .readAsync()
    .then(
      () => 'resolved',
      () => 'rejected',
    )
    .finally(() => (settled = true));
  await delay(300);
  assert.equal(settled, false, 'no answer');
  assert.equal(cgm.peripheral.connected, true, 'the link stays up');
  cgm.setFaults({ unresponsive: false });
  cgm.peripheral.dropLink();
  assert.equal(await within(read, 3000, 'read settles on disconnect'), 'rejected');
  link = await connect(await discover(rig.noble, '181f', cgm.address));
  assert.equal((await link.char('2aa8').readAsync()).length, 6);
  await link.peripheral.disconnectAsync();
});

test(
  'the central leaves in the middle of a report: the procedure ends; a new link can start one at once',
  T,
  async () => {
    cgm.transferPaceMs = 5;
    link = await subscribeCgm();
    let n = 0;
    link.char('2aa7').on('data', () => n++);
    const ended = new Promise<TransferEnd>((resolve) => cgm.once('transfer-end', resolve));
    await link.char('2a52').writeAsync(hex('01 01'), false);
    await until(() => n >= 5, 3000, 'first records');
    await link.peripheral.disconnectAsync();
    const end = await within(ended, 3000, 'transfer end');
    assert.equal(end.outcome, 'dropped');
    assert.ok(end.sent < 302);
    cgm.transferPaceMs = 0;
    link = await subscribeCgm();
    assert.deepEqual(await request(link.char('2a52'), hex('04 01')), hex(`05 00 ${u16(302)}`));
    await link.peripheral.disconnectAsync();
  },
);

test('glucose meter: malformed notification on demand, drop after N, fault validation', T, async () => {
  const l = await connect(await discover(rig.noble, '1808', meter.address));
  const got: Buffer[] = [];
  l.char('2a18').on('data', (d: Buffer) => got.push(d));
  await l.char('2a18').subscribeAsync();
  await l.char('2a52').subscribeAsync();
  assert.equal(meter.sendMalformedNotification(), true);
  await until(() => got.length === 1, 3000, 'malformed');
  assert.deepEqual(got[0], MALFORMED_GLUCOSE_MEASUREMENT);
  assert.throws(() => decodeGlucoseMeasurement(got[0]), CodecError);

  meter.setFaults({ dropLinkAfterRecords: 5 });
  const disconnected = once(l.peripheral, 'disconnect');
  // the link may drop before the write's response is read: the disconnect is what this step waits for
  const written = l
    .char('2a52')
    .writeAsync(hex('01 01'), false)
    .catch(() => undefined);
  await within(disconnected, 5000, 'disconnect');
  await written;
  assert.equal(got.length, 6);
  assert.deepEqual(
    got.slice(1).map((b) => decodeGlucoseMeasurement(b).sequenceNumber),
    [1, 2, 3, 4, 5],
  );
  assert.equal(meter.faults.dropLinkAfterRecords, 5, 'without dropLinkTimes it stays on');

  assert.throws(() => meter.setFaults({ corruptCrcEvery: 3 }), /no E2E-CRC/);
  assert.throws(() => meter.setFaults({ malformedEvery: 0 }), RangeError);
  assert.equal(meter.faults.malformedEvery, null, 'a refused change leaves the faults as they were');
});
