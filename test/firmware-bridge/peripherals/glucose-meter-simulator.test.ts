// The simulated glucose meter driven by the real noble over a real pty: discovery, Glucose Feature,
// RACP ≥ sequence (measurement + context order), count, user facing time filter, delete, abort,
// measurements added at runtime, kg/L and mol/L, LO/HI.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeGlucoseContext } from '../../../drivers/codecs/glucose-context.ts';
import { decodeGlucoseFeature } from '../../../drivers/codecs/glucose-feature.ts';
import {
  decodeGlucoseMeasurement,
  glucoseDisplayValue,
  glucoseUserFacingTime,
} from '../../../drivers/codecs/glucose-measurement.ts';
import { GlucoseMeterSimulator, type TransferEnd } from '../../../firmware-bridge/peripherals/index.ts';
import {
  connect,
  discover,
  hex,
  record,
  request,
  startRig,
  u16,
  until,
  within,
  type Link,
  type Rig,
} from './helpers.ts';

const T = { timeout: 20_000 };

let rig: Rig;
let meter: GlucoseMeterSimulator;
let molMeter: GlucoseMeterSimulator;
let link: Link;

before(async () => {
  rig = await startRig();
  meter = new GlucoseMeterSimulator(rig.controller, {
    address: 'c0:aa:bb:cc:dd:01',
    name: 'Sim Meter A',
    serial: 'BGM0001',
    unit: 'kg/L',
    utcOffsetMinutes: 60,
    history: { count: 500, spacingMinutes: 240, end: '2024-03-15T12:00:00Z', contextEvery: 4 },
  });
  molMeter = new GlucoseMeterSimulator(rig.controller, {
    address: 'c0:aa:bb:cc:dd:02',
    name: 'Sim Meter B',
    unit: 'mol/L',
    firstSequence: 40,
    timeOffsetMinutes: -5,
    records: [
      { time: '2024-03-15T07:30:00Z', glucose: 5.5 },
      { time: '2024-03-15T08:30:00Z', glucose: 'LO' },
      { time: '2024-03-15T09:30:00Z', glucose: 'HI', context: { meal: 2, tester: 1, health: 5 } },
    ],
  });
});

after(async () => {
  meter?.close();
  molMeter?.close();
  await rig?.close();
});

test('discovered by service UUID 1808; Device Information and Glucose Feature', T, async () => {
  const p = await discover(rig.noble, '1808', 'c0:aa:bb:cc:dd:01');
  assert.equal(p.advertisement.localName, 'Sim Meter A');
  link = await connect(p);
  assert.equal((await link.char('2a25').readAsync()).toString(), 'BGM0001');
  assert.deepEqual(decodeGlucoseFeature(await link.char('2a51').readAsync()), { features: 0x0107 });
  assert.equal(meter.records.length, 500);
  assert.equal(meter.nextSequence, 501);
});

test('RACP ≥ sequence: exactly those records, each context right after its measurement', T, async () => {
  const events: string[] = [];
  const meas = link.char('2a18');
  const ctx = link.char('2a34');
  const racp = link.char('2a52');
  record(events, meas);
  record(events, ctx);
  await meas.subscribeAsync();
  await ctx.subscribeAsync();
  await racp.subscribeAsync();
  assert.deepEqual(await request(racp, hex(`01 03 01 ${u16(491)}`)), hex('06 00 01 01'));
  const seen = events.map((e) => {
    const [uuid, h] = e.split(':');
    const b = Buffer.from(h, 'hex');
    return uuid === '2a18'
      ? `m${decodeGlucoseMeasurement(b).sequenceNumber}`
      : `c${decodeGlucoseContext(b).sequenceNumber}`;
  });
  assert.deepEqual(seen, [
    'm491',
    'm492',
    'c492',
    'm493',
    'm494',
    'm495',
    'm496',
    'c496',
    'm497',
    'm498',
    'm499',
    'm500',
    'c500',
  ]);
  const last = decodeGlucoseMeasurement(Buffer.from(events.at(-2)!.split(':')[1], 'hex'));
  assert.equal(last.unit, 'kg/L');
  assert.equal(last.contextFollows, true);
  assert.equal(glucoseUserFacingTime(last), '2024-03-15T13:00:00', 'the meter clock is UTC+1');
  assert.equal(typeof glucoseDisplayValue(last).value, 'number');
  assert.deepEqual(
    meter.racpRequests.map((r) => r.hex),
    ['010301eb01'],
  );
  meas.removeAllListeners('data');
  ctx.removeAllListeners('data');
});

test('RACP count, user facing time filter, range', T, async () => {
  const racp = link.char('2a52');
  assert.deepEqual(await request(racp, hex('04 01')), hex(`05 00 ${u16(500)}`));
  assert.deepEqual(await request(racp, hex(`04 03 01 ${u16(491)}`)), hex('05 00 0a 00'));
  assert.deepEqual(await request(racp, hex(`04 04 01 ${u16(1)} ${u16(100)}`)), hex('05 00 64 00'));
  // ≥ 2024-03-15 01:00:00 meter time: the last 4 records are at 01:00, 05:00, 09:00, 13:00
  assert.deepEqual(await request(racp, hex('04 03 02 e8 07 03 0f 01 00 00')), hex('05 00 04 00'));
  assert.deepEqual(await request(racp, hex('04 02 02 e8 07 03 0f 01 00 00')), hex(`05 00 ${u16(497)}`));
});

test('a measurement added at runtime is notified live, and RACP ≥ 501 returns just it', T, async () => {
  const meas = link.char('2a18');
  const racp = link.char('2a52');
  const got: Buffer[] = [];
  meas.on('data', (d: Buffer) => got.push(d));
  const added = meter.addMeasurement({ glucose: 142, time: '2024-03-15T16:00:00Z' });
  assert.equal(added.sequence, 501);
  await until(() => got.length === 1, 3000, 'live notification');
  const live = decodeGlucoseMeasurement(got[0]);
  assert.equal(live.sequenceNumber, 501);
  assert.equal(glucoseDisplayValue(live).value, 142);
  meter.clearLogs();
  assert.deepEqual(await request(racp, hex(`01 03 01 ${u16(501)}`)), hex('06 00 01 01'));
  assert.equal(got.length, 2);
  assert.deepEqual(got[1], got[0]);
  assert.deepEqual(
    meter.racpRequests.map((r) => r.hex),
    ['010301f501'],
    'the gateway asked only for sequence ≥ 501',
  );
  meas.removeAllListeners('data');
});

test('RACP abort during a report; delete ≤ sequence; delete all; then no records found', T, async () => {
  const racp = link.char('2a52');
  const meas = link.char('2a18');
  let n = 0;
  meas.on('data', () => n++);
  const indications: string[] = [];
  racp.on('data', (d: Buffer) => indications.push(d.toString('hex')));
  meter.transferPaceMs = 5;
  const ended = new Promise<TransferEnd>((resolve) => meter.once('transfer-end', resolve));
  await racp.writeAsync(hex('01 01'), false);
  await until(() => n >= 3, 3000, 'first records');
  await racp.writeAsync(hex('03 00'), false);
  const end = await within(ended, 3000, 'transfer end');
  assert.equal(end.outcome, 'aborted');
  await until(() => indications.length === 1, 3000, 'abort response');
  assert.deepEqual(indications, ['06000301']);
  meter.transferPaceMs = 0;
  racp.removeAllListeners('data');
  meas.removeAllListeners('data');

  assert.deepEqual(await request(racp, hex(`02 02 01 ${u16(100)}`)), hex('06 00 02 01'));
  assert.equal(meter.records[0].sequence, 101);
  assert.deepEqual(await request(racp, hex('04 01')), hex(`05 00 ${u16(401)}`));
  assert.deepEqual(await request(racp, hex('02 01')), hex('06 00 02 01'));
  assert.deepEqual(await request(racp, hex('01 01')), hex('06 00 01 06'));
  assert.deepEqual(await request(racp, hex('04 01')), hex('05 00 00 00'));
  await link.peripheral.disconnectAsync();
});

test(
  'mol/L meter: 5.5 mmol/L as 0x37C0, LO/HI as ∓INF with status bits, Base Time + negative offset',
  T,
  async () => {
    const p = await discover(rig.noble, '1808', 'c0:aa:bb:cc:dd:02');
    const l = await connect(p);
    const events: string[] = [];
    record(events, l.char('2a18'));
    record(events, l.char('2a34'));
    await l.char('2a18').subscribeAsync();
    await l.char('2a34').subscribeAsync();
    await l.char('2a52').subscribeAsync();
    assert.deepEqual(await request(l.char('2a52'), hex('01 01')), hex('06 00 01 01'));
    assert.equal(events.length, 4);
    const [normal, lo, hi] = events
      .filter((e) => e.startsWith('2a18'))
      .map((e) => decodeGlucoseMeasurement(Buffer.from(e.split(':')[1], 'hex')));
    assert.deepEqual([normal.sequenceNumber, lo.sequenceNumber, hi.sequenceNumber], [40, 41, 42]);
    assert.equal(normal.unit, 'mol/L');
    assert.ok(events[0].includes('37c0'));
    assert.deepEqual(glucoseDisplayValue(normal), { value: 5.5, unit: 'mmol/L' });
    assert.equal(normal.timeOffsetMinutes, -5);
    assert.equal(glucoseUserFacingTime(normal), '2024-03-15T08:30:00');
    assert.equal(lo.concentration?.value.kind, '-inf');
    assert.equal(lo.sensorStatus, 0x0040);
    assert.equal(hi.concentration?.value.kind, '+inf');
    assert.equal(hi.sensorStatus, 0x0020);
    const c = decodeGlucoseContext(Buffer.from(events[3].split(':')[1], 'hex'));
    assert.deepEqual(c, { sequenceNumber: 42, meal: 2, testerHealth: { tester: 1, health: 5 } });
    await p.disconnectAsync();
  },
);
