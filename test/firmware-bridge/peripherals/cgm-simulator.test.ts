// The simulated CGM driven by the real noble over a real pty: discovery, Device Information, CGM
// Feature/Status/Session Start/Run Time, RACP (report ≥, count, errors, abort, delete), SOCP, LO/HI,
// E2E-CRC off, live records, and the writable Session Start Time.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCgmFeature, cgmSupportsE2eCrc } from '../../../drivers/codecs/cgm-feature.ts';
import { decodeCgmMeasurement } from '../../../drivers/codecs/cgm-measurement.ts';
import {
  decodeCgmSessionStartTime,
  cgmSessionStartToUtcIso,
  encodeCgmSessionStartTime,
} from '../../../drivers/codecs/cgm-session-start-time.ts';
import { decodeCgmSessionRunTime } from '../../../drivers/codecs/cgm-session-run-time.ts';
import { decodeCgmSocp, encodeCgmSocp } from '../../../drivers/codecs/cgm-socp.ts';
import { decodeCgmStatus } from '../../../drivers/codecs/cgm-status.ts';
import { crc16Mcrf4xx } from '../../../drivers/codecs/crc16-mcrf4xx.ts';
import { sfloatFromNumber } from '../../../drivers/codecs/sfloat.ts';
import { CgmSimulator, type TransferEnd } from '../../../firmware-bridge/peripherals/index.ts';
import {
  connect,
  delay,
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
const CRC = { crc: true };
const withCrc = (h: string): Buffer => {
  const b = hex(h);
  const c = crc16Mcrf4xx(b);
  return Buffer.concat([b, Buffer.from([c & 0xff, c >> 8])]);
};

let rig: Rig;
let cgm: CgmSimulator;
let plain: CgmSimulator;
let live: CgmSimulator;
let link: Link;

before(async () => {
  rig = await startRig();
  cgm = new CgmSimulator(rig.controller, {
    address: 'c0:11:22:33:44:01',
    name: 'Sim CGM A',
    manufacturer: 'Test Maker',
    model: 'CGM-T1',
    serial: 'CGMSER001',
    intervalMinutes: 1,
    sessionStart: '2024-03-01T07:00:00Z',
    timeZoneMinutes: 60,
    dstOffsetMinutes: 60,
    sessionRunTimeHours: 360,
    history: { count: 1440, pattern: 'meals' },
    e2eCrc: true,
    live: false,
  });
  plain = new CgmSimulator(rig.controller, {
    address: 'c0:11:22:33:44:02',
    name: 'Sim CGM B',
    intervalMinutes: 5,
    history: { count: 200, pattern: 'ramp' },
    e2eCrc: false,
    calibration: false,
    alerts: { patientLow: 70, patientHigh: 180 },
    live: false,
  });
  live = new CgmSimulator(rig.controller, {
    address: 'c0:11:22:33:44:03',
    name: 'Sim CGM C',
    intervalMinutes: 1,
    history: { count: 10 },
    live: true,
    speed: 6000, // one 1-minute record every 10 ms
  });
});

after(async () => {
  for (const s of [cgm, plain, live]) s?.close();
  await rig?.close();
});

test('discovered by service UUID 181f; Device Information names the device', T, async () => {
  const p = await discover(rig.noble, '181f', 'c0:11:22:33:44:01');
  assert.equal(p.advertisement.localName, 'Sim CGM A');
  assert.deepEqual(p.advertisement.serviceUuids, ['181f']);
  link = await connect(p);
  assert.equal((await link.char('2a29').readAsync()).toString(), 'Test Maker');
  assert.equal((await link.char('2a24').readAsync()).toString(), 'CGM-T1');
  assert.equal((await link.char('2a25').readAsync()).toString(), 'CGMSER001');
});

test('RACP and SOCP writes before indications are enabled: ATT error 0xFD', T, async () => {
  const before = rig.attErrors.length;
  link
    .char('2a52')
    .writeAsync(hex('0101'), false)
    .catch(() => undefined); // refused: noble never resolves it
  link
    .char('2aac')
    .writeAsync(withCrc('02'), false)
    .catch(() => undefined); // refused: noble never resolves it
  await until(() => rig.attErrors.length >= before + 2, 3000, 'two ATT errors');
  assert.deepEqual(
    rig.attErrors.slice(before).map((e) => e.code),
    [0xfd, 0xfd],
  );
  assert.deepEqual(
    cgm.racpRequests.map((r) => r.hex),
    ['0101'],
    'refused writes are logged too',
  );
  cgm.clearLogs();
});

test(
  'reads CGM Feature, Status, Session Start Time (zone + DST) and Run Time, all with valid CRCs',
  T,
  async () => {
    const feature = decodeCgmFeature(await link.char('2aa8').readAsync());
    assert.equal(cgmSupportsE2eCrc(feature), true);
    assert.equal(feature.crc, 'ok');
    assert.equal(feature.sampleType, 9);
    assert.equal(feature.sampleLocation, 5);

    const status = decodeCgmStatus(await link.char('2aa9').readAsync(), CRC);
    assert.deepEqual(status, { timeOffsetMinutes: 1439, status: 0, calTemp: 0, warning: 0, crc: 'ok' });

    const start = decodeCgmSessionStartTime(await link.char('2aaa').readAsync(), CRC);
    assert.equal(start.crc, 'ok');
    assert.deepEqual(start.dateTime, { year: 2024, month: 3, day: 1, hours: 9, minutes: 0, seconds: 0 });
    assert.equal(start.timeZoneMinutes, 60);
    assert.equal(start.dstOffsetMinutes, 60);
    assert.equal(cgmSessionStartToUtcIso(start), '2024-03-01T07:00:00.000Z');

    assert.deepEqual(decodeCgmSessionRunTime(await link.char('2aab').readAsync(), CRC), {
      runTimeHours: 360,
      crc: 'ok',
    });
  },
);

test(
  'RACP report ≥ time offset: exactly the requested records, valid CRCs, then the response',
  T,
  async () => {
    const events: string[] = [];
    const meas = link.char('2aa7');
    const racp = link.char('2a52');
    const got = record(events, meas);
    record(events, racp);
    await meas.subscribeAsync();
    await racp.subscribeAsync();
    await link.char('2aac').subscribeAsync();

    const response = await request(racp, hex(`01 03 01 ${u16(1400)}`));
    assert.deepEqual(response, hex('06 00 01 01'));
    assert.equal(got.length, 40);
    const records = got.flatMap((b) => decodeCgmMeasurement(b, CRC).records);
    assert.deepEqual(
      records.map((r) => r.timeOffsetMinutes),
      Array.from({ length: 40 }, (_, i) => 1400 + i),
    );
    assert.ok(records.every((r) => r.crc === 'ok'));
    assert.ok(records.every((r) => r.glucose.kind === 'number'));
    assert.equal(events.at(-1), '2a52:06000101', 'the response comes after the last record');
    assert.equal(events.filter((e) => e.startsWith('2aa7')).length, 40);
    assert.deepEqual(
      cgm.racpRequests.map((r) => r.hex),
      ['0103017805'],
    );
    meas.removeAllListeners('data');
    racp.removeAllListeners('data');
  },
);

test('RACP count (all, ≥), first/last, no records found', T, async () => {
  const racp = link.char('2a52');
  const meas = link.char('2aa7');
  assert.deepEqual(await request(racp, hex('04 01')), hex(`05 00 ${u16(1440)}`));
  assert.deepEqual(await request(racp, hex(`04 03 01 ${u16(1430)}`)), hex('05 00 0a 00'));
  assert.deepEqual(await request(racp, hex(`04 04 01 ${u16(10)} ${u16(19)}`)), hex('05 00 0a 00'));
  const got: Buffer[] = [];
  meas.on('data', (d: Buffer) => got.push(d));
  assert.deepEqual(await request(racp, hex('01 06')), hex('06 00 01 01'));
  assert.deepEqual(
    got.map((b) => decodeCgmMeasurement(b, CRC).records[0].timeOffsetMinutes),
    [1439],
  );
  assert.deepEqual(await request(racp, hex(`01 03 01 ${u16(5000)}`)), hex('06 00 01 06'));
  assert.equal(got.length, 1);
  meas.removeAllListeners('data');
});

test('RACP refusals carry the right response codes', T, async () => {
  const racp = link.char('2a52');
  const cases: [string, string][] = [
    ['07 01', '06 00 07 02'], // op code not supported
    ['05 00 01 00', '06 00 05 02'], // a response op code as a request
    ['01 00', '06 00 01 03'], // Null operator on a record op
    ['03 01', '06 00 03 03'], // Abort needs the Null operator
    ['01 09', '06 00 01 04'], // operator not supported
    ['01 03 02 e8 07 01 01 00 00 00', '06 00 01 09'], // user facing time is GLS only
    ['01 03 01 05', '06 00 01 05'], // truncated operand
    ['01 03', '06 00 01 05'], // missing filter
    [`04 04 01 ${u16(20)} ${u16(10)}`, '06 00 04 05'], // range min above max
    ['01', '06 00 01 03'], // no operator at all
  ];
  for (const [req, want] of cases) {
    assert.deepEqual((await request(racp, hex(req))).toString('hex'), want.replace(/ /g, ''), req);
  }
});

test('RACP abort stops a running report; other requests meanwhile get ATT error 0xFE', T, async () => {
  const racp = link.char('2a52');
  const meas = link.char('2aa7');
  const indications: string[] = [];
  racp.on('data', (d: Buffer) => indications.push(d.toString('hex')));
  let n = 0;
  meas.on('data', () => n++);
  cgm.transferPaceMs = 5;
  const ended = new Promise<TransferEnd>((resolve) => cgm.once('transfer-end', resolve));
  await racp.writeAsync(hex('01 01'), false);
  await until(() => n >= 5, 3000, 'first records');
  const errorsBefore = rig.attErrors.length;
  racp.writeAsync(hex('04 01'), false).catch(() => undefined); // refused: noble never resolves it
  await until(() => rig.attErrors.length > errorsBefore, 3000, 'busy refusal');
  assert.equal(rig.attErrors.at(-1)?.code, 0xfe);
  await racp.writeAsync(hex('03 00'), false);
  const end = (await within(ended, 3000, 'transfer end')) as TransferEnd;
  assert.equal(end.outcome, 'aborted');
  assert.ok(end.sent >= 5 && end.sent < 1440);
  await until(() => indications.length > 0, 3000, 'abort response');
  await delay(50);
  assert.deepEqual(indications, ['06000301'], 'only the abort response, no report response');
  assert.ok(n < 1440, `aborted after ${n} records`);
  cgm.transferPaceMs = 0;
  // with nothing running, Abort simply succeeds
  assert.deepEqual(await request(racp, hex('03 00')), hex('06 00 03 01'));
  racp.removeAllListeners('data');
  meas.removeAllListeners('data');
});

test('RACP delete ≥ offset, then delete all', T, async () => {
  const racp = link.char('2a52');
  assert.deepEqual(await request(racp, hex(`02 03 01 ${u16(1435)}`)), hex('06 00 02 01'));
  assert.equal(cgm.records.length, 1435);
  assert.deepEqual(await request(racp, hex('04 01')), hex(`05 00 ${u16(1435)}`));
  assert.deepEqual(await request(racp, hex(`02 03 01 ${u16(1435)}`)), hex('06 00 02 06'));
});

test('SOCP: interval, alert levels, calibration, session stop/start; CRC required on writes', T, async () => {
  const socp = link.char('2aac');
  const ask = async (m: Parameters<typeof encodeCgmSocp>[0]) =>
    decodeCgmSocp(await request(socp, Buffer.from(encodeCgmSocp(m, CRC))), CRC);

  assert.deepEqual(await ask({ opCode: 'get-communication-interval' }), {
    opCode: 'communication-interval-response',
    intervalMinutes: 1,
    crc: 'ok',
  });
  assert.equal(
    (await ask({ opCode: 'set-communication-interval', intervalMinutes: 5 })).opCode,
    'response-code',
  );
  assert.equal(cgm.communicationIntervalMinutes, 5);
  const hyper = await ask({ opCode: 'set-hyper-alert-level', level: sfloatFromNumber(240) });
  assert.deepEqual(hyper, { opCode: 'response-code', requestOpCode: 0x10, response: 'success', crc: 'ok' });
  const level = await ask({ opCode: 'get-hyper-alert-level' });
  assert.equal(level.opCode, 'hyper-alert-level-response');
  assert.equal('level' in level && level.level.kind === 'number' && level.level.value, 240);

  const calibration = {
    glucose: sfloatFromNumber(100),
    timeMinutes: 10,
    sampleType: 2,
    sampleLocation: 3,
    nextTimeMinutes: 20,
    recordNumber: 0,
    status: 0,
  };
  assert.equal(
    (await ask({ opCode: 'set-calibration-value', calibration })).opCode === 'response-code',
    true,
  );
  const got = await ask({ opCode: 'get-calibration-value', recordNumber: 0xffff });
  assert.deepEqual(got, {
    opCode: 'calibration-value-response',
    calibration: { ...calibration, recordNumber: 1 },
    crc: 'ok',
  });
  assert.deepEqual(await ask({ opCode: 'get-calibration-value', recordNumber: 7 }), {
    opCode: 'response-code',
    requestOpCode: 0x05,
    response: 'parameter-out-of-range',
    crc: 'ok',
  });
  assert.deepEqual(await ask({ opCode: 'start-session' }), {
    opCode: 'response-code',
    requestOpCode: 0x1a,
    response: 'procedure-not-completed',
    crc: 'ok',
  });
  // unknown op code and bad operand (the CRC is right, so these reach the op-code logic)
  assert.deepEqual(decodeCgmSocp(await request(socp, withCrc('1d')), CRC), {
    opCode: 'response-code',
    requestOpCode: 0x1d,
    response: 'op-code-not-supported',
    crc: 'ok',
  });
  assert.deepEqual(decodeCgmSocp(await request(socp, withCrc('05 ff')), CRC), {
    opCode: 'response-code',
    requestOpCode: 0x05,
    response: 'invalid-operand',
    crc: 'ok',
  });

  // missing and wrong CRC → ATT application errors 0x80 / 0x81
  const before = rig.attErrors.length;
  socp.writeAsync(hex('02'), false).catch(() => undefined); // refused: noble never resolves it
  await until(() => rig.attErrors.length > before, 3000, 'missing CRC');
  socp.writeAsync(hex('02 00 00'), false).catch(() => undefined); // refused: noble never resolves it
  await until(() => rig.attErrors.length > before + 1, 3000, 'invalid CRC');
  assert.deepEqual(
    rig.attErrors.slice(before).map((e) => e.code),
    [0x80, 0x81],
  );

  assert.equal((await ask({ opCode: 'stop-session' })).opCode, 'response-code');
  assert.equal(cgm.sessionRunning, false);
  const status = decodeCgmStatus(await link.char('2aa9').readAsync(), CRC);
  assert.equal(status.status & 0x01, 1, 'session stopped');
  assert.equal(cgm.tick(), null, 'no records while stopped');
  assert.deepEqual(await ask({ opCode: 'start-session' }), {
    opCode: 'response-code',
    requestOpCode: 0x1a,
    response: 'success',
    crc: 'ok',
  });
  assert.equal(cgm.records.length, 0, 'a new session starts empty');
  assert.equal(decodeCgmStatus(await link.char('2aa9').readAsync(), CRC).status & 0x01, 0);
  assert.deepEqual(
    cgm.socpRequests.slice(0, 2).map((r) => r.hex),
    [withCrc('02').toString('hex'), withCrc('01 05').toString('hex')],
  );
});

test('writing Session Start Time moves the session start so that now = the latest offset', T, async () => {
  cgm.tick(); // offset 0 in the new session
  cgm.tick(); // offset 1
  const value = encodeCgmSessionStartTime(
    {
      dateTime: { year: 2025, month: 6, day: 1, hours: 12, minutes: 0, seconds: 0 },
      timeZoneMinutes: 120,
      dstOffsetMinutes: 0,
    },
    CRC,
  );
  await link.char('2aaa').writeAsync(Buffer.from(value), false);
  assert.equal(cgm.sessionStartUtc.toISOString(), '2025-06-01T09:59:00.000Z');
  const read = decodeCgmSessionStartTime(await link.char('2aaa').readAsync(), CRC);
  assert.deepEqual(read.dateTime, { year: 2025, month: 6, day: 1, hours: 11, minutes: 59, seconds: 0 });
  assert.equal(read.timeZoneMinutes, 120);
  await link.peripheral.disconnectAsync();
});

test('E2E-CRC off: Feature CRC field 0xFFFF, no CRC on records; LO/HI as ±INF with warnings', T, async () => {
  const p = await discover(rig.noble, '181f', 'c0:11:22:33:44:02');
  const l = await connect(p);
  const feature = await l.char('2aa8').readAsync();
  assert.equal(feature.readUInt16LE(4), 0xffff);
  assert.equal(decodeCgmFeature(feature).crc, 'absent');
  assert.equal(decodeCgmStatus(await l.char('2aa9').readAsync()).crc, 'absent');

  const meas = l.char('2aa7');
  const racp = l.char('2a52');
  const got: Buffer[] = [];
  meas.on('data', (d: Buffer) => got.push(d));
  await meas.subscribeAsync();
  await racp.subscribeAsync();
  assert.deepEqual(await request(racp, hex('01 01')), hex('06 00 01 01'));
  const records = got.flatMap((b) => decodeCgmMeasurement(b, { crc: false }).records);
  assert.equal(records.length, 200);
  assert.ok(records.every((r) => r.crc === 'absent'));
  assert.deepEqual(
    records.slice(0, 3).map((r) => r.timeOffsetMinutes),
    [0, 5, 10],
  );
  const lo = records.filter((r) => r.glucose.kind === '-inf');
  const hi = records.filter((r) => r.glucose.kind === '+inf');
  assert.ok(lo.length > 0 && hi.length > 0, 'the ramp crosses both ends of 40..400');
  assert.ok(
    lo.every((r) => ((r.annunciation?.warning ?? 0) & 0x41) === 0x41),
    'below device + patient low',
  );
  assert.ok(
    hi.every((r) => ((r.annunciation?.warning ?? 0) & 0x82) === 0x82),
    'above device + patient high',
  );
  const normal = records.find((r) => r.glucose.kind === 'number' && r.glucose.value === 100);
  assert.ok(normal && normal.annunciation === undefined);

  // calibration not supported on this one → op code not supported; SOCP without CRC accepted
  const socp = l.char('2aac');
  await socp.subscribeAsync();
  assert.deepEqual(await request(socp, hex('05 ff ff')), hex('1c 05 02'));
  assert.deepEqual(await request(socp, hex('02')), hex('03 05'));
  await p.disconnectAsync();
});

test('live records are notified every interval (speed factor) and stored', T, async () => {
  const p = await discover(rig.noble, '181f', 'c0:11:22:33:44:03');
  const l = await connect(p);
  const meas = l.char('2aa7');
  const got: Buffer[] = [];
  meas.on('data', (d: Buffer) => got.push(d));
  await meas.subscribeAsync();
  await until(() => got.length >= 5, 5000, 'five live records');
  const offsets = got.map((b) => decodeCgmMeasurement(b, CRC).records[0].timeOffsetMinutes);
  for (let i = 1; i < offsets.length; i++) assert.equal(offsets[i], offsets[i - 1] + 1);
  assert.ok(offsets[0] >= 10, 'after the 10 history records');
  assert.ok(live.records.some((r) => r.timeOffset === offsets[0]));
  await p.disconnectAsync();
});
