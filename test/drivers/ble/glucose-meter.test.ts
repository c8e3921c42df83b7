// End to end: a simulated glucose meter (GLS) and a CGM at the same time, through the gateway's BLE central on
// real noble over a real pty, into a real SQLite store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CgmSimulator, GlucoseMeterSimulator } from '../../../firmware-bridge/peripherals/index.ts';
import { listReadings } from '../../../gateway/store/readings.ts';
import { GLS_PROBE, startBleRig, until } from './helpers.ts';

const T = { timeout: 60_000 };

test(
  'a meter with 500 records backfills; after 3 new measurements the gateway asks only for sequence >= 501',
  T,
  async () => {
    const address = 'c0:aa:bb:cc:dd:ee';
    const key = `ble:${address}`;
    let meter!: GlucoseMeterSimulator;
    const rig = await startBleRig({
      ble: { meterResyncMs: 400 },
      setup: (controller) => {
        meter = new GlucoseMeterSimulator(controller, {
          address,
          serial: 'MTR-0042',
          unit: 'kg/L',
          utcOffsetMinutes: 60,
          history: { count: 500, contextEvery: 4, end: '2025-03-01T12:00:00Z' },
        });
      },
    });
    try {
      await until(() => rig.count(key) >= 500, 20_000, 'backfill of 500');
      // the record store looked at first (count, first, last: sequence reset detection), then everything
      assert.deepEqual(
        meter.racpRequests.map((r) => r.hex),
        [...GLS_PROBE, '0101'],
      );
      const readings = listReadings(rig.store, key);
      assert.deepEqual(
        readings.map((r) => r.identity),
        Array.from({ length: 500 }, (_, i) => `seq:${i + 1}`),
      );
      const last = readings[499];
      assert.equal(
        last.effectiveAt,
        '2025-03-01T12:00:00.000Z',
        'meter wall time (UTC+1) placed in Europe/Berlin',
      );
      assert.equal(last.deviceTime, '2025-03-01T13:00:00');
      assert.equal(last.specimen, 'capillary');
      assert.equal(last.unit, 'mg/dL');
      const withContext = readings.filter((r) => r.raw.includes('/'));
      assert.equal(withContext.length, 125, 'every 4th measurement kept with the context that followed it');
      assert.equal(
        readings[3].raw,
        `${meter.records[3].measurement.toString('hex')}/${meter.records[3].context?.toString('hex')}`,
      );

      // the gateway hangs up after a sync (meters sleep); add measurements while it is away
      await until(() => !meter.peripheral.connected, 3000, 'meter hung up after the sync');
      meter.clearLogs();
      for (const glucose of [101, 142, 188]) meter.addMeasurement({ glucose });
      await until(() => rig.count(key) >= 503, 10_000, 'the 3 new measurements');
      assert.deepEqual(
        meter.racpRequests.map((r) => r.hex),
        [...GLS_PROBE, '010301f501'],
        'RACP: report records with sequence >= 501',
      );
      assert.deepEqual(
        listReadings(rig.store, key)
          .slice(500)
          .map((r) => [r.identity, r.value]),
        [
          ['seq:501', 101],
          ['seq:502', 142],
          ['seq:503', 188],
        ],
      );
      const status = rig.central.status().find((s) => s.key === key);
      assert.equal(status?.duplicates, 0);
      assert.equal(rig.central.counters.get(key), 0);
    } finally {
      meter.close();
      await rig.close();
    }
  },
);

test('two devices at once: a CGM stays connected with live values while a meter syncs', T, async () => {
  let cgm!: CgmSimulator;
  let meter!: GlucoseMeterSimulator;
  let both = false;
  const rig = await startBleRig({
    ble: { meterResyncMs: 0 },
    setup: (controller) => {
      cgm = new CgmSimulator(controller, {
        address: 'c0:11:22:33:44:88',
        history: { count: 3000 },
        live: false,
      });
      meter = new GlucoseMeterSimulator(controller, {
        address: 'c0:aa:bb:cc:dd:99',
        unit: 'mol/L',
        history: { count: 200 },
      });
      const check = () => (both ||= cgm.peripheral.connected && meter.peripheral.connected);
      cgm.peripheral.on('connect', check);
      meter.peripheral.on('connect', check);
    },
  });
  try {
    await until(
      () => rig.count('ble:c0:11:22:33:44:88') >= 3000 && rig.count('ble:c0:aa:bb:cc:dd:99') >= 200,
      30_000,
      'both backfilled',
    );
    assert.equal(both, true, 'both links were up at the same time');
    const mmol = listReadings(rig.store, 'ble:c0:aa:bb:cc:dd:99');
    assert.equal(mmol[0].unit, 'mmol/L');
    // both stay connected (meterResyncMs 0): live values from each arrive
    await until(
      () => cgm.peripheral.isSubscribed('2aa7') && meter.peripheral.isSubscribed('2a18'),
      3000,
      'subscribed',
    );
    cgm.tick();
    meter.addMeasurement({ glucose: 6.1 });
    await until(
      () => rig.count('ble:c0:11:22:33:44:88') === 3001 && rig.count('ble:c0:aa:bb:cc:dd:99') === 201,
      1000,
      'live values from both within 1 s',
    );
    assert.equal(listReadings(rig.store, 'ble:c0:aa:bb:cc:dd:99').at(-1)?.value, 6.1);
    assert.deepEqual(
      rig.central
        .status()
        .map((s) => [s.key, s.family, s.connects])
        .sort(),
      [
        ['ble:c0:11:22:33:44:88', 'cgm', 1],
        ['ble:c0:aa:bb:cc:dd:99', 'glucose', 1],
      ],
    );
  } finally {
    cgm.close();
    meter.close();
    await rig.close();
  }
});
