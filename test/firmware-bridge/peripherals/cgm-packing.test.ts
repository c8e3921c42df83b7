// Several CGM records per notification (spec A.2, `recordsPerNotification`) through the real noble: each
// notification fits ATT_MTU − 3, every record arrives once and in order, and the faults keep their meaning (a
// malformed notification only ever starts a notification, corrupt CRCs count records, the link drops after
// exactly N records).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCgmMeasurement } from '../../../drivers/codecs/cgm-measurement.ts';
import {
  CgmSimulator,
  MALFORMED_CGM_MEASUREMENT,
  type TransferEnd,
} from '../../../firmware-bridge/peripherals/index.ts';
import { connect, discover, hex, startRig, until, within, type Link, type Rig } from './helpers.ts';

const T = { timeout: 20_000 };
const CRC = { crc: true };
const N = 500;

let rig: Rig;
let cgm: CgmSimulator;
let link: Link;

before(async () => {
  rig = await startRig();
  cgm = new CgmSimulator(rig.controller, {
    address: 'c0:11:22:33:44:31',
    history: { count: N },
    e2eCrc: true,
    live: false,
    recordsPerNotification: 30,
  });
  link = await connect(await discover(rig.noble, '181f', 'c0:11:22:33:44:31'));
  await link.char('2aa7').subscribeAsync();
  await link.char('2a52').subscribeAsync();
});

after(async () => {
  cgm?.close();
  await rig?.close();
});

/** Runs "report all"; resolves once the transfer ended and everything sent reached noble. */
async function report(): Promise<{ values: Buffer[]; end: TransferEnd }> {
  const meas = link.char('2aa7');
  const values: Buffer[] = [];
  const onData = (d: Buffer) => values.push(d);
  meas.on('data', onData);
  const ended = new Promise<TransferEnd>((resolve) => cgm.once('transfer-end', resolve));
  const racp = link.char('2a52');
  const answered = new Promise<Buffer>((resolve) => racp.once('data', resolve));
  const down = new Promise<void>((resolve) => link.peripheral.once('disconnect', () => resolve()));
  try {
    await racp.writeAsync(hex('01 01'), false);
    const end = await within(ended, 10_000, 'transfer end');
    // the response indication (or the link loss) comes after the last notification
    await within(Promise.race([answered, down]), 10_000, 'response or disconnect');
    return { values, end };
  } finally {
    meas.removeListener('data', onData);
  }
}

test('the options are checked', () => {
  for (const bad of [0, 1.5, -1]) {
    assert.throws(
      () =>
        new CgmSimulator(rig.controller, {
          address: 'c0:11:22:33:44:3f',
          live: false,
          recordsPerNotification: bad,
        }),
      RangeError,
    );
  }
});

test(
  'a report packs up to 30 records per notification, within ATT_MTU − 3, each record once, in order',
  T,
  async () => {
    const { values, end } = await report();
    assert.equal(end.outcome, 'success');
    const mtu = cgm.peripheral.mtu;
    assert.ok(mtu > 23, 'the MTU was exchanged');
    const perValue = values.map((v) => decodeCgmMeasurement(v, CRC).records);
    assert.ok(
      values.every((v) => v.length <= mtu - 3),
      'every value fits ATT_MTU − 3',
    );
    assert.ok(perValue.every((rs) => rs.length >= 1 && rs.length <= 30));
    assert.equal(values.length, Math.ceil(N / 30), 'full notifications of 30 records, the last one shorter');
    const records = perValue.flat();
    assert.deepEqual(
      records.map((r) => r.timeOffsetMinutes),
      Array.from({ length: N }, (_, i) => i),
    );
    assert.ok(records.every((r) => r.crc === 'ok'));
    // the bytes are the stored records, back to back
    assert.deepEqual(Buffer.concat(values), Buffer.concat(cgm.records.map((r) => r.bytes)));
  },
);

test('faults keep their meaning when records are packed', T, async () => {
  cgm.setFaults({ corruptCrcEvery: 7, malformedEvery: 100 });
  try {
    const { values, end } = await report();
    assert.equal(end.outcome, 'success');
    assert.equal(end.sent, N);
    const malformed = values.filter((v) => v.equals(MALFORMED_CGM_MEASUREMENT));
    assert.equal(malformed.length, 5, 'before records 100, 200, 300, 400, 500');
    const good = values.filter((v) => !v.equals(MALFORMED_CGM_MEASUREMENT));
    const records = good.flatMap((v) => decodeCgmMeasurement(v, CRC).records);
    assert.deepEqual(
      records.map((r) => r.timeOffsetMinutes),
      Array.from({ length: N }, (_, i) => i),
    );
    // the Nth record of the transfer (1-based) has the wrong CRC, whichever notification it is in
    const bad = records.filter((r) => r.crc === 'mismatch').map((r) => r.timeOffsetMinutes + 1);
    assert.deepEqual(
      bad,
      Array.from({ length: Math.floor(N / 7) }, (_, i) => (i + 1) * 7),
    );
    // a malformed notification is always followed by a notification starting with the 100k-th record
    values.forEach((v, i) => {
      if (!v.equals(MALFORMED_CGM_MEASUREMENT)) return;
      const next = decodeCgmMeasurement(values[i + 1], CRC).records[0];
      assert.equal((next.timeOffsetMinutes + 1) % 100, 0);
    });
  } finally {
    cgm.setFaults({ corruptCrcEvery: null, malformedEvery: null });
  }
});

test('the link drops after exactly N records, never in the middle of a notification', T, async () => {
  cgm.setFaults({ dropLinkAfterRecords: 47, dropLinkTimes: 1 });
  const { values, end } = await report();
  assert.equal(end.outcome, 'dropped');
  assert.equal(end.sent, 47);
  await until(() => !cgm.peripheral.connected, 3000, 'link down');
  const records = values.flatMap((v) => decodeCgmMeasurement(v, CRC).records);
  assert.deepEqual(
    records.map((r) => r.timeOffsetMinutes),
    Array.from({ length: 47 }, (_, i) => i),
  );
});
