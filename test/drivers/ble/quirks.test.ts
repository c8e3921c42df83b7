// Vendor quirks as data (issue 18, item 3): every entry of drivers/ble/quirks.ts against the simulator scenario that
// reproduces it (firmware-bridge/peripherals/scenarios/quirk-*.json), through real noble on the virtual controller
// into SQLite; the table's matching rules and each behaviour's byte vector below. Sources of the behaviours are
// cited in quirks.ts (xDrip+ BluetoothGlucoseMeter.java, Tidepool uploader bluetoothLEDriver.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  METER_QUIRKS,
  resolveQuirks,
  STANDARD_BEHAVIOUR,
  type QuirkEntry,
} from '../../../drivers/ble/quirks.ts';
import {
  GlucoseMeterSimulator,
  loadScenario,
  type GlucoseScenario,
} from '../../../firmware-bridge/peripherals/index.ts';
import type { VirtualController } from '../../../firmware-bridge/hci/index.ts';
import { listReadings } from '../../../gateway/store/readings.ts';
import { listResources, parseResource } from '../../../gateway/store/resources.ts';
import type { BleConfig } from '../../../config/types.ts';
import { startBleRig, until, type BleRig } from './helpers.ts';

const T = { timeout: 60_000 };
const here = path.dirname(fileURLToPath(import.meta.url));
const scenarioOf = (name: string): Omit<GlucoseScenario, 'kind'> => {
  const s = loadScenario(
    path.join(here, `../../../firmware-bridge/peripherals/scenarios/quirk-${name}.json`),
  );
  const { kind: _kind, ...opts } = s.peripherals[0] as GlucoseScenario;
  return opts;
};

async function withMeter(
  name: string,
  ble: Partial<BleConfig>,
  run: (rig: BleRig, meter: GlucoseMeterSimulator, key: string) => Promise<void>,
  patch: (o: Omit<GlucoseScenario, 'kind'>) => Omit<GlucoseScenario, 'kind'> = (o) => o,
): Promise<void> {
  const opts = patch(scenarioOf(name));
  let meter!: GlucoseMeterSimulator;
  const rig = await startBleRig({
    ble,
    setup: (c: VirtualController) => {
      meter = new GlucoseMeterSimulator(c, opts);
    },
  });
  try {
    await run(rig, meter, `ble:${opts.address}`);
  } finally {
    meter.close();
    await rig.close();
  }
}

test(
  'roche: clock from Date Time 0x2A08 (5 min fast, offset on every reading); RACP requests wait out the settle time',
  T,
  () =>
    withMeter('roche-date-time', { meterResyncMs: 0 }, async (rig, meter, key) => {
      await until(() => rig.count(key) === 5, 15_000, 'the 5 records');
      const readings = listReadings(rig.store, key);
      for (const r of readings)
        assert.ok(Math.abs(r.clockOffsetMs + 300_000) < 3000, `offset ${r.clockOffsetMs}`);
      assert.deepEqual(meter.racpIgnored, [], 'no request came too early');
      const at = meter.racpRequests.map((r) => r.at.getTime());
      for (let i = 1; i < at.length; i++)
        assert.ok(at[i] - at[i - 1] >= 500, `request ${i} after ${at[i] - at[i - 1]} ms`);
      const read = rig.logs.find((l) => l.msg === 'glucose meter read');
      assert.deepEqual(read?.quirks, [
        'roche-date-time-characteristic',
        'roche-racp-settle',
        'racp-after-bond',
        'ketone-context-meal-6',
      ]);
      const off = rig.logs.find((l) => l.msg.startsWith('meter clock is off; not set'));
      assert.ok(Math.abs(Number(off?.offsetSeconds) + 300) <= 2, 'logged, and not set by default');
      assert.deepEqual(meter.clock.writes, []);
    }),
);

test('roche scenario without the quirk (another manufacturer): the early request goes unanswered', T, () =>
  withMeter(
    'roche-date-time',
    { meterResyncMs: 0, racpTimeoutMs: 600 },
    async (rig, meter, key) => {
      await until(() => meter.racpIgnored.length > 0, 10_000, 'a dropped request');
      await until(
        () => rig.logs.some((l) => /no record and no response/.test(JSON.stringify(l))),
        10_000,
        'timeout',
      );
      assert.equal(rig.count(key), 0);
    },
    (o) => ({ ...o, manufacturer: 'Glukko Inc.' }),
  ),
);

test(
  'i-SENS: the clock is read through 0xFFF1 and, with setMeterClock "if-off", set; the set is logged',
  T,
  () =>
    withMeter('isens-caresens', { meterResyncMs: 0, setMeterClock: 'if-off' }, async (rig, meter, key) => {
      await until(() => rig.count(key) === 3, 15_000, 'the 3 records');
      for (const r of listReadings(rig.store, key))
        assert.ok(Math.abs(r.clockOffsetMs - 3_600_000) < 3000, `offset ${r.clockOffsetMs}`);
      assert.equal(meter.clock.writes.length, 1, 'set once');
      assert.ok(Math.abs(meter.clock.errorMs) < 3000, `meter clock now ${meter.clock.errorMs} ms off`);
      const set = rig.logs.find((l) => l.msg === 'meter clock was off; set it to the hub time');
      assert.ok(Math.abs(Number(set?.offsetSeconds) - 3600) <= 2, `offset ${String(set?.offsetSeconds)} s`);
      assert.equal(set?.source, 'isens-vendor');
    }),
);

test(
  'TaiDoc: numbers count back from the newest, so records are kept by their time and all read each visit',
  T,
  () =>
    withMeter('taidoc-reversed', { meterResyncMs: 300 }, async (rig, meter, key) => {
      await until(() => rig.count(key) === 4, 15_000, 'the 4 records');
      await until(() => !meter.peripheral.connected, 5000, 'hung up');
      meter.clearLogs();
      // a record's time is its identity here: the history's newest is from the second the meter was made
      meter.addMeasurement({ glucose: 133, time: new Date(Date.now() + 60_000) });
      meter.addMeasurement({ glucose: 144, time: new Date(Date.now() + 120_000) });
      await until(() => rig.count(key) === 6, 15_000, 'the 2 new ones');
      assert.deepEqual(
        meter.racpRequests.map((r) => r.hex),
        ['0101'],
        'no probe, no sequence filter',
      );
      const readings = listReadings(rig.store, key);
      assert.ok(readings.every((r) => r.identity.startsWith('time:') && r.recordNumber === null));
      assert.deepEqual(
        readings.slice(4).map((r) => r.value),
        [133, 144],
      );
      const s = rig.central.status().find((x) => x.key === key);
      assert.ok((s?.duplicates ?? 0) >= 4, 'the old records came again and were stored once');
    }),
);

test(
  'a meter that answers RACP only once bonded: reported with the pair command, read after bonding',
  T,
  () =>
    withMeter('racp-after-bond', { meterResyncMs: 0, racpTimeoutMs: 600 }, async (rig, meter, key) => {
      await until(
        () => rig.central.status().find((s) => s.key === key)?.lastOutcome === 'needs-bond',
        10_000,
        'needs-bond',
      );
      const line = rig.logs.find((l) => l.reason === 'needs-bond');
      assert.match(
        String(line?.msg),
        /answers RACP only once bonded: .*hddt-gateway pair add c0:aa:bb:cc:04:04/,
      );
      assert.equal(rig.count(key), 0);
      meter.bonded = true;
      await until(() => rig.count(key) === 3, 15_000, 'read once bonded');
    }),
);

test(
  'ketone tests (context meal 6) are stored for audit in mmol/L and never become glucose Observations',
  T,
  () =>
    withMeter('ketone-meal-6', { meterResyncMs: 0 }, async (rig, _meter, key) => {
      await until(() => listReadings(rig.store, key).length === 4, 15_000, 'all 4 stored');
      const rows = listReadings(rig.store, key);
      const ketone = rows.filter((r) => r.controlSolution);
      assert.deepEqual(
        ketone.map((r) => [r.value, r.unit, r.flag]),
        [
          [1.2, 'mmol/L', null],
          [8, 'mmol/L', 'high'],
        ],
      );
      assert.ok(
        ketone.every((r) => r.raw.includes('/')),
        'kept with the context that marks them',
      );
      const obs = listResources(rig.store, 'Observation').map((r) =>
        parseResource<{ valueQuantity: { value: number } }>(r),
      );
      assert.deepEqual(obs.map((o) => o.valueQuantity.value).sort(), [104, 162]);
    }),
);

test('the table: prefix matching on Device Information, name and company id; entries apply in order', () => {
  const roche = resolveQuirks({ manufacturer: 'Roche', model: 'Accu-Chek Instant' });
  assert.equal(roche.behaviour.clock, 'date-time-in-glucose-service');
  assert.equal(roche.behaviour.racpSettleMs, 600);
  assert.equal(roche.behaviour.racpNeedsBond, true);
  assert.equal(
    resolveQuirks({ name: 'CareSens 0815' }).behaviour.clock,
    'isens-vendor',
    'by advertised name',
  );
  assert.deepEqual(resolveQuirks({ manufacturer: 'Glukko Inc.' }), {
    behaviour: { ...STANDARD_BEHAVIOUR, ketoneMeal: 6 },
    applied: ['ketone-context-meal-6'],
  });
  const table: QuirkEntry[] = [
    { name: 'by-company', match: [{ companyId: 0x0170 }], apply: { racpSettleMs: 100 }, source: 'test' },
    {
      name: 'later-wins',
      match: [{ companyId: 0x0170, model: 'X' }],
      apply: { racpSettleMs: 200 },
      source: 'test',
    },
  ];
  assert.equal(resolveQuirks({ companyId: 0x0170 }, table).behaviour.racpSettleMs, 100);
  assert.deepEqual(resolveQuirks({ companyId: 0x0170, model: 'x-1' }, table).applied, [
    'by-company',
    'later-wins',
  ]);
  assert.equal(resolveQuirks({ companyId: 0x0171 }, table).applied.length, 0);
  for (const q of METER_QUIRKS)
    assert.match(q.source, /xDrip\+|Tidepool/, `${q.name} names its public source`);
});
