// Sequence resets (issue 18, item 4): a glucose meter whose numbering starts over (battery change, factory reset)
// is noticed by a lower highest sequence, a new first record time, or fewer records than before, and its new
// records are read without losing or duplicating any, also after the gateway restarts. End to end on the virtual
// controller with real noble and SQLite; the decision rules on their own below.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  confirmFewer,
  currentPosition,
  detectReset,
  identityOf,
  recordNumberOf,
  splitRecordNumber,
  type MeterFingerprint,
} from '../../../drivers/ble/sequence-reset.ts';
import {
  GlucoseMeterSimulator,
  loadScenario,
  type GlucoseScenario,
} from '../../../firmware-bridge/peripherals/index.ts';
import { listReadings } from '../../../gateway/store/readings.ts';
import { startBleRig, until } from './helpers.ts';

const T = { timeout: 90_000 };
const here = path.dirname(fileURLToPath(import.meta.url));
const SCENARIO = path.join(here, '../../../firmware-bridge/peripherals/scenarios/sequence-reset.json');

const identities = (rig: { store: Parameters<typeof listReadings>[0] }, key: string) =>
  listReadings(rig.store, key).map((r) => r.identity);

test(
  'a reset with fewer records (lower highest sequence): the new ones are read, and after a restart only the newest',
  T,
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-ble-reset-'));
    const address = 'c0:aa:bb:cc:00:01';
    const key = `ble:${address}`;
    let meter!: GlucoseMeterSimulator;
    let rig = await startBleRig({
      dir,
      ble: { meterResyncMs: 300 },
      setup: (controller) => {
        meter = new GlucoseMeterSimulator(controller, {
          address,
          history: { count: 10, end: '2026-01-01T12:00:00Z' },
          faults: { resetSequenceAfterLinks: 1 },
          afterReset: { count: 3, spacingMinutes: 20 },
        });
      },
    });
    try {
      await until(() => rig.count(key) === 13, 20_000, '10 records, then the 3 after the reset');
      const ids = identities(rig, key);
      assert.deepEqual(
        ids.slice(0, 10),
        Array.from({ length: 10 }, (_, i) => `seq:${i + 1}`),
      );
      assert.deepEqual(ids.slice(10).sort(), ['seq:1@1', 'seq:2@1', 'seq:3@1']);
      const warn = rig.logs.find((l) => l.msg.startsWith('glucose meter sequence reset'));
      assert.equal(warn?.reason, 'lower-highest-sequence');
      assert.equal(warn?.epoch, 1);
      assert.equal(rig.central.status().find((s) => s.key === key)?.duplicates, 0);
    } finally {
      meter.close();
      await rig.close();
    }

    // The gateway restarts; the same meter (the 3 records, plus 2 measured since) is read from record 4 of epoch 1.
    const kept = meter.records.map((r) => ({
      measurement: r.measurement.toString('hex'),
      ...(r.context ? { context: r.context.toString('hex') } : {}),
    }));
    rig = await startBleRig({
      dir,
      ble: { meterResyncMs: 300 },
      setup: (controller) => {
        meter = new GlucoseMeterSimulator(controller, { address, records: kept });
        meter.addMeasurement({ glucose: 144 });
        meter.addMeasurement({ glucose: 155 });
      },
    });
    try {
      await until(() => rig.count(key) === 15, 20_000, 'the 2 new records after the restart');
      assert.ok(
        meter.racpRequests.some((r) => r.hex === '0103010400'),
        'RACP: sequence >= 4',
      );
      assert.ok(!meter.racpRequests.some((r) => r.hex === '0101'), 'not everything again');
      assert.deepEqual(identities(rig, key).slice(13).sort(), ['seq:4@1', 'seq:5@1']);
      assert.equal(
        rig.logs.some((l) => l.msg.startsWith('glucose meter sequence reset')),
        false,
        'no second reset',
      );
      assert.deepEqual(
        listReadings(rig.store, key)
          .slice(13)
          .map((r) => r.value),
        [144, 155],
      );
    } finally {
      meter.close();
      await rig.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  'scenario sequence-reset.json: more records after the reset than before; the new first record time shows it',
  T,
  async () => {
    const scenario = loadScenario(SCENARIO);
    const { kind: _kind, ...opts } = scenario.peripherals[0] as GlucoseScenario;
    const key = `ble:${opts.address}`;
    let meter!: GlucoseMeterSimulator;
    const rig = await startBleRig({
      ble: { meterResyncMs: 300 },
      setup: (controller) => {
        meter = new GlucoseMeterSimulator(controller, opts);
      },
    });
    try {
      await until(() => rig.count(key) === 13, 20_000, '5 records, then the 8 after the reset');
      const readings = listReadings(rig.store, key);
      assert.deepEqual(
        readings
          .slice(5)
          .map((r) => r.identity)
          .sort(),
        Array.from({ length: 8 }, (_, i) => `seq:${i + 1}@1`).sort(),
      );
      assert.ok(
        readings.slice(5).every((r) => r.value === 111),
        'the records measured after the reset',
      );
      const warn = rig.logs.find((l) => l.msg.startsWith('glucose meter sequence reset'));
      assert.equal(warn?.reason, 'new-first-record');
    } finally {
      meter.close();
      await rig.close();
    }
  },
);

test('a meter emptied by the reset: the next measurements start the new epoch', T, async () => {
  const address = 'c0:aa:bb:cc:00:03';
  const key = `ble:${address}`;
  let meter!: GlucoseMeterSimulator;
  const rig = await startBleRig({
    ble: { meterResyncMs: 300 },
    setup: (controller) => {
      meter = new GlucoseMeterSimulator(controller, {
        address,
        history: { count: 4 },
        faults: { resetSequenceAfterLinks: 1 },
      });
    },
  });
  try {
    await until(() => rig.count(key) === 4, 15_000, 'the 4 records');
    await until(
      () => rig.logs.some((l) => l.msg.startsWith('glucose meter sequence reset')),
      10_000,
      'the emptied memory noticed',
    );
    meter.addMeasurement({ glucose: 99 });
    meter.addMeasurement({ glucose: 98 });
    await until(() => rig.count(key) === 6, 10_000, 'the 2 new');
    assert.deepEqual(identities(rig, key).slice(4).sort(), ['seq:1@1', 'seq:2@1']);
    assert.equal(
      rig.logs.find((l) => l.msg.startsWith('glucose meter sequence reset'))?.reason,
      'memory-cleared',
    );
  } finally {
    meter.close();
    await rig.close();
  }
});

const memo = (m: Partial<MeterFingerprint>): MeterFingerprint => ({
  epoch: 0,
  count: 10,
  first: { seq: 1, time: '2026-01-01T08:00:00' },
  last: { seq: 10, time: '2026-01-03T08:00:00' },
  seenAt: '2026-01-03T09:00:00.000Z',
  ...m,
});

test('reset rules: lower highest, new first record, emptied, fewer (checked against the last record)', () => {
  const same = { count: 12, first: { seq: 1, time: '2026-01-01T08:00:00' }, last: { seq: 12, time: 't12' } };
  assert.deepEqual(detectReset(same, 10, memo({})), { reset: false }, 'two new records');
  assert.equal(
    (detectReset({ ...same, last: { seq: 3, time: 'x' } }, 10, null) as { reason: string }).reason,
    'lower-highest-sequence',
    'needs no memory of the last visit',
  );
  assert.equal(
    (
      detectReset({ ...same, first: { seq: 1, time: '2026-02-01T08:00:00' } }, 10, memo({})) as {
        reason: string;
      }
    ).reason,
    'new-first-record',
  );
  // a full ring drops its oldest records: a later first record is not a reset
  assert.deepEqual(detectReset({ ...same, first: { seq: 3, time: 'later' } }, 10, memo({})), {
    reset: false,
  });
  assert.equal(
    (detectReset({ count: 0, first: null, last: null }, 10, memo({})) as { reason: string }).reason,
    'memory-cleared',
  );
  assert.deepEqual(
    detectReset({ count: 0, first: null, last: null }, null, null),
    { reset: false },
    'a new empty meter',
  );
  // a meter without the first/last operators: only the count and the last stored record tell
  const fewer = detectReset({ count: 4, first: null, last: null }, 10, memo({}));
  assert.deepEqual(fewer, { reset: 'check', mark: { seq: 10, time: '2026-01-03T08:00:00' } });
  assert.deepEqual(confirmFewer(memo({}).last!, { seq: 10, time: '2026-01-03T08:00:00' }, 4, 10), {
    reset: false,
  });
  assert.equal(
    (confirmFewer(memo({}).last!, { seq: 10, time: '2026-03-01T10:00:00' }, 4, 10) as { reason: string })
      .reason,
    'fewer-records',
  );
  assert.deepEqual(confirmFewer(memo({}).last!, null, 4, 10), { reset: false }, 'deleted on the meter');
});

test('epochs in the store: record number = epoch × 65536 + sequence; a fingerprint ahead of the store reads all', () => {
  assert.equal(recordNumberOf(0, 17), 17);
  assert.equal(recordNumberOf(2, 5), 131077);
  assert.deepEqual(splitRecordNumber(131077), { epoch: 2, seq: 5 });
  assert.equal(identityOf(0, 7), 'seq:7', 'unchanged before the first reset');
  assert.equal(identityOf(1, 7), 'seq:7@1');
  assert.deepEqual(currentPosition(null, null), { epoch: 0, lastSeq: null });
  assert.deepEqual(currentPosition(65536 + 9, memo({ epoch: 1 })), { epoch: 1, lastSeq: 9 });
  assert.deepEqual(
    currentPosition(500, memo({ epoch: 1 })),
    { epoch: 1, lastSeq: null },
    'reset seen, none stored',
  );
});
