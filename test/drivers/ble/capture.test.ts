// `ble capture` (issue 18, item 6): a simulated glucose meter and a CGM captured through the gateway's own transport
// (real noble, UART driver, on the virtual controller); the capture holds the device information and the records
// byte for byte as the simulator sent them; the capture replayed by the simulator (loadScenario accepts it) and read
// by the real gateway driver gives the same readings (values, times) as the original device. A capture file that
// is not one is refused with the field that is wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { captureDevice, type CaptureOptions } from '../../../drivers/ble/capture.ts';
import {
  capturedRecords,
  formatCapture,
  parseCapture,
  type BleCapture,
} from '../../../drivers/ble/capture-file.ts';
import { nobleInspector } from '../../../drivers/ble/capture-noble.ts';
import { NobleRadio } from '../../../drivers/ble/noble-transport.ts';
import { encodeCgmMeasurement } from '../../../drivers/codecs/cgm-measurement.ts';
import { sfloatFromNumber } from '../../../drivers/codecs/sfloat.ts';
import { VirtualController } from '../../../firmware-bridge/hci/index.ts';
import {
  CgmSimulator,
  GlucoseMeterSimulator,
  loadScenario,
  parseScenario,
  ScenarioError,
  type CgmScenario,
  type CgmSimulatorOptions,
  type GlucoseMeterOptions,
  type GlucoseScenario,
} from '../../../firmware-bridge/peripherals/index.ts';
import { getDevice } from '../../../gateway/store/devices.ts';
import { listReadings, type StoredReading } from '../../../gateway/store/readings.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { collectLogs, startBleRig, testBleConfig, until } from './helpers.ts';

const T = { timeout: 60_000 };
const hexOf = (s: string) => Buffer.from(s, 'utf8').toString('hex');

/** Captures the one simulator `setup` puts on a fresh controller. */
async function capture(
  setup: (c: VirtualController) => { close(): void },
  o: Partial<CaptureOptions> = {},
): Promise<BleCapture> {
  const controller = await VirtualController.start();
  const sim = setup(controller);
  try {
    const { log } = collectLogs();
    const radio = NobleRadio.create(testBleConfig({ driver: 'uart', uartPort: controller.hostPath }), log);
    return await captureDevice(radio, nobleInspector(radio), {
      scanSeconds: 5,
      listenSeconds: 1,
      timeZone: 'Europe/Berlin',
      connectTimeoutMs: 3000,
      racpTimeoutMs: 3000,
      settleMs: 50,
      ...o,
    });
  } finally {
    sim.close();
    await controller.close();
  }
}

type Stored = Omit<StoredReading, 'receivedAt' | 'clockOffsetMs'> & { device: unknown[] };

/**
 * What the gateway stores from a simulator, with the device facts, without the receive time and the clock offset
 * (hub now − device clock, which moves with the wall clock): those in `offsets`.
 */
async function readingsOf(
  make: (c: VirtualController) => { close(): void },
  key: string,
  count: number,
  offsets: number[] = [],
): Promise<Stored[]> {
  let sim!: { close(): void };
  const rig = await startBleRig({ setup: (c) => void (sim = make(c)) });
  try {
    await until(() => rig.count(key) >= count, 20_000, `${count} readings of ${key}`);
    const device = getDevice(rig.store, key);
    return listReadings(rig.store, key).map(({ receivedAt: _r, clockOffsetMs, ...r }) => {
      offsets.push(clockOffsetMs);
      return { ...r, device: [device?.manufacturer, device?.model, device?.serial_number] };
    });
  } finally {
    sim.close();
    await rig.close();
  }
}

function replayed<S>(c: BleCapture, dir: string): Omit<S, 'kind'> {
  const file = path.join(dir, 'capture.json');
  fs.writeFileSync(file, formatCapture(c));
  const { kind: _kind, ...opts } = loadScenario(file).peripherals[0];
  return opts as unknown as Omit<S, 'kind'>;
}

const METER: GlucoseMeterOptions = {
  address: 'c0:aa:bb:cc:40:01',
  name: 'Field Meter',
  manufacturer: 'Acme Diagnostics',
  model: 'AM-1',
  serial: 'AM1-0042',
  firmware: '2.3.4',
  unit: 'kg/L',
  utcOffsetMinutes: 60,
  features: 0x0403,
  clock: { service: 'current-time', errorSeconds: 120 },
  history: { count: 12, contextEvery: 3, end: '2025-03-01T12:00:00Z' },
  records: [{ time: '2025-03-01T12:30:00Z', glucose: 'LO' }],
};
const LIVE_MEASUREMENT = { time: '2025-03-01T14:00:00Z', glucose: 111 } as const;

test(
  'a glucose meter: capture holds DIS, feature, RACP and the records byte for byte; the replay reads the same',
  T,
  async () => {
    const { dir, cleanup } = tempDir('hddt-capture-');
    try {
      let meter!: GlucoseMeterSimulator;
      let sent: { measurement: string; context?: string }[] = [];
      const c = await capture((controller) => (meter = new GlucoseMeterSimulator(controller, METER)), {
        onListening: () => void meter.addMeasurement(LIVE_MEASUREMENT),
      }).finally(() => {
        sent = meter.records.map((r) => ({
          measurement: r.measurement.toString('hex'),
          ...(r.context ? { context: r.context.toString('hex') } : {}),
        }));
      });
      assert.equal(c.format, 'hddt-ble-capture/1');
      assert.deepEqual(
        [c.device.address, c.device.family, c.device.name],
        [METER.address, 'glucose', 'Field Meter'],
      );
      assert.ok(c.device.advertisement.serviceUuids.includes('1808'));
      const value = (s: string, ch: string) =>
        c.gatt.find((g) => g.service === s && g.characteristic === ch)?.value;
      assert.equal(value('180a', '2a29'), hexOf('Acme Diagnostics'));
      assert.equal(value('180a', '2a25'), hexOf('AM1-0042'));
      assert.equal(value('1808', '2a51'), '0304', 'Glucose Feature 0x0403, little-endian');
      assert.ok(value('1805', '2a2b'), 'the Current Time read');
      const of = (dir: string, ch: string) =>
        c.exchanges.filter((e) => e.dir === dir && e.characteristic === ch).map((e) => e.hex);
      assert.deepEqual(
        c.exchanges.filter((e) => e.dir === 'write').map((e) => `${e.characteristic}:${e.hex}`),
        ['2a52:0401', '2a52:0101'],
        'nothing written but the two RACP requests',
      );
      assert.deepEqual(of('indicate', '2a52'), ['05000d00', '06000101'], '13 records, then success');
      assert.equal(of('notify', '2a18').length, 14, '13 in the transfer, 1 live');
      assert.equal(sent.length, 14);
      assert.deepEqual(capturedRecords(c).records, sent, 'the records as the meter sent them');
      const ts = c.exchanges.map((e) => e.t);
      assert.deepEqual(
        ts,
        [...ts].sort((a, b) => a - b),
        'times in order',
      );
      const done = c.exchanges.find((e) => e.hex === '06000101')!;
      assert.ok(
        c.exchanges.at(-1)!.t >= done.t && c.exchanges.at(-1)!.characteristic === '2a18',
        'live last',
      );
      assert.deepEqual(c.notes, []);

      const replay = replayed<GlucoseScenario>(c, dir);
      assert.equal(replay.serial, 'AM1-0042');
      assert.equal(replay.clock?.service, 'current-time');
      assert.ok(
        Math.abs((replay.clock?.errorSeconds ?? 0) - 120) <= 3,
        `clock ${replay.clock?.errorSeconds} s`,
      );
      const key = `ble:${METER.address}`;
      const offsets: number[] = [];
      const original = await readingsOf(
        (ctl) => new GlucoseMeterSimulator(ctl, { ...METER, records: [...METER.records!, LIVE_MEASUREMENT] }),
        key,
        14,
      );
      const again = await readingsOf((ctl) => new GlucoseMeterSimulator(ctl, replay), key, 14, offsets);
      assert.equal(again.length, 14);
      assert.deepEqual(again, original, 'values, flags, times, raw bytes and device facts');
      assert.ok(
        offsets.every((ms) => Math.abs(ms + 120_000) < 3000),
        `the replayed meter clock is as fast as the original: ${offsets[0]} ms`,
      );
      // the meter stamps its records with its own clock, 2 minutes fast
      assert.deepEqual(
        again.slice(-2).map((r) => [r.identity, r.value, r.flag, r.effectiveAt]),
        [
          ['seq:13', 20, 'low', '2025-03-01T12:32:00.000Z'],
          ['seq:14', 111, null, '2025-03-01T14:02:00.000Z'],
        ],
      );
    } finally {
      cleanup();
    }
  },
);

const SESSION_START = '2025-03-01T07:00:00.000Z';
const CGM: CgmSimulatorOptions = {
  address: 'c0:11:22:33:40:02',
  name: 'Field CGM',
  manufacturer: 'Acme Sensors',
  serial: 'FCGM-7',
  sessionStart: SESSION_START,
  timeZoneMinutes: 60,
  dstOffsetMinutes: 0,
  history: { count: 240 },
  e2eCrc: true,
  trend: true,
  recordsPerNotification: 4,
  live: false,
};

test(
  'a CGM: records split out of packed notifications; the replay gives the same session and readings',
  T,
  async () => {
    const { dir, cleanup } = tempDir('hddt-capture-');
    try {
      let cgm!: CgmSimulator;
      let sent: string[] = [];
      const c = await capture((controller) => (cgm = new CgmSimulator(controller, CGM)), {
        onListening: () => void cgm.tick(),
      }).finally(() => (sent = cgm.records.map((r) => r.bytes.toString('hex'))));
      assert.equal(c.device.family, 'cgm');
      assert.equal(sent.length, 241);
      assert.deepEqual(capturedRecords(c).records, sent, 'every record, CRC included, once');
      const notifications = c.exchanges.filter((e) => e.dir === 'notify' && e.characteristic === '2aa7');
      assert.ok(notifications.length < 200, `${notifications.length} notifications: records went packed`);
      assert.ok(
        c.gatt.some((g) => g.characteristic === '2aaa' && g.value),
        'Session Start Time read',
      );
      assert.deepEqual(
        c.exchanges.filter((e) => e.dir === 'write').map((e) => e.hex),
        ['0401', '0101'],
        'no Session Start Time or SOCP written',
      );

      const replay = replayed<CgmScenario>(c, dir);
      assert.deepEqual(
        [replay.sessionStart, replay.timeZoneMinutes, replay.dstOffsetMinutes, replay.e2eCrc, replay.live],
        [SESSION_START, 60, 0, true, false],
      );
      assert.ok((replay.recordsPerNotification ?? 1) > 1, 'packed again as the sensor packed them');
      const key = `ble:${CGM.address}`;
      const original = await readingsOf((ctl) => new CgmSimulator(ctl, CGM), key, 240);
      const again = await readingsOf((ctl) => new CgmSimulator(ctl, replay), key, 241);
      assert.deepEqual(again.slice(0, 240), original, 'values, times, raw bytes and device facts');
      const live = again[240];
      assert.deepEqual(
        [live.recordNumber, live.effectiveAt, live.raw],
        [240, new Date(Date.parse(SESSION_START) + 240 * 60_000).toISOString(), sent[240]],
      );
    } finally {
      cleanup();
    }
  },
);

const problemsOf = (doc: unknown): readonly string[] => {
  try {
    parseScenario(doc, 'bad.json');
  } catch (e) {
    assert.ok(e instanceof ScenarioError, String(e));
    return e.problems;
  }
  assert.fail('expected a ScenarioError');
};

function minimal(): BleCapture {
  return {
    format: 'hddt-ble-capture/1',
    capturedAt: '2025-03-01T12:00:00.000Z',
    hub: { timeZone: 'Europe/Berlin', utcOffsetMinutes: 60 },
    device: {
      address: 'c0:11:22:33:40:09',
      addressType: 'random',
      name: 'X',
      rssi: -60,
      family: 'cgm',
      mtu: 23,
      advertisement: {
        serviceUuids: ['181f'],
        manufacturerData: null,
        serviceData: [],
        txPowerLevel: null,
        connectable: true,
      },
    },
    gatt: [],
    exchanges: [],
    notes: [],
  };
}

test('a malformed capture file is refused, naming each field that is wrong', () => {
  const doc = minimal() as unknown as Record<string, unknown>;
  delete doc.gatt;
  doc.format = 'hddt-ble-capture/9';
  (doc.device as Record<string, unknown>).address = 'c0:11:22';
  doc.exchanges = [
    { t: 5, dir: 'notify', service: '181f', characteristic: '2aa7', hex: 'zz' },
    { t: -1, dir: 'sent', service: '181F', characteristic: '2aa7', hex: '00' },
  ];
  assert.deepEqual(problemsOf(doc), [
    `capture field 'format' has value "hddt-ble-capture/9": expected "hddt-ble-capture/1"`,
    `capture field 'device.address' has value "c0:11:22": expected a Bluetooth address aa:bb:cc:dd:ee:ff`,
    `capture field 'gatt' is required`,
    `capture field 'exchanges[0].hex' has value "zz": expected hex octets such as "0a1b"`,
    `capture field 'exchanges[1].t' has value -1: expected a number >= 0`,
    `capture field 'exchanges[1].dir' has value "sent": expected one of ["read","write","notify","indicate"]`,
    `capture field 'exchanges[1].service' has value "181F": expected a lower-case UUID as noble spells it ("2a18", 32 digits for 128-bit)`,
  ]);
  const broken = minimal();
  broken.gatt = [{ service: '181f', characteristic: '2aa8', properties: ['read'], value: '0102' }];
  assert.deepEqual(problemsOf(broken), [
    `capture field 'gatt[0].value' (CGM Feature) is not a valid value: CGM Feature: 2 octet(s), expected 6`,
  ]);
  assert.throws(() => parseCapture([]), /capture field '\(top level\)' has value \[\]: expected an object/);
});

test('records: a context goes with the measurement of its sequence; CGM notifications split by Size', () => {
  const c = minimal();
  // GLS measurement (seq 0x002a) and its context, the same pair as test/firmware-bridge/peripherals/scenario.test.ts
  const m = '132a00e80703 0f081e000000 78b011'.replace(/ /g, '');
  const ctx = '022a0001';
  const two = Buffer.from(
    encodeCgmMeasurement(
      {
        records: [
          { glucose: sfloatFromNumber(100), timeOffsetMinutes: 10 },
          { glucose: sfloatFromNumber(101), timeOffsetMinutes: 11 },
        ],
      },
      { crc: true },
    ),
  ).toString('hex');
  const first = Buffer.from(two, 'hex')[0] * 2; // the first record's Size, in hex digits
  const at = (t: number, dir: 'notify', service: string, characteristic: string, hex: string) =>
    ({ t, dir, service, characteristic, hex }) as const;
  c.exchanges = [at(1, 'notify', '181f', '2aa7', two), at(2, 'notify', '181f', '2aa7', two.slice(0, first))];
  assert.equal(first, 16, 'Size 8: flags, SFLOAT, time offset and E2E-CRC');
  assert.deepEqual(
    capturedRecords(c).records,
    [two.slice(0, first), two.slice(first)],
    'a resend is no new record',
  );
  c.device.family = 'glucose';
  c.exchanges = [
    at(1, 'notify', '1808', '2a18', m),
    at(2, 'notify', '1808', '2a34', ctx),
    at(3, 'notify', '1808', '2a34', '022b0001'),
    at(4, 'notify', '1808', '2a18', m),
  ];
  assert.deepEqual(capturedRecords(c).records, [{ measurement: m, context: ctx }], 'once, with its context');
});
