// End to end: the gateway's BLE central (real noble, UART driver) over a real pty to the virtual controller,
// a simulated CGM with a 14-day 1-minute history, and a real SQLite store. Backfill, live values, resume.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CgmSimulator } from '../../../firmware-bridge/peripherals/index.ts';
import { getDevice, listSessions } from '../../../gateway/store/devices.ts';
import { listReadings } from '../../../gateway/store/readings.ts';
import { startBleRig, until, type BleRig } from './helpers.ts';

const ADDRESS = 'c0:11:22:33:44:55';
const KEY = `ble:${ADDRESS}`;
const N = 20_160;
const SESSION_START = new Date('2025-03-01T07:00:00Z');
const T = { timeout: 60_000 };

let rig: BleRig;
let cgm: CgmSimulator;
let backfillMs = 0;
const testStart = new Date().toISOString();

before(async () => {
  rig = await startBleRig({
    setup: (controller) => {
      cgm = new CgmSimulator(controller, {
        address: ADDRESS,
        serial: 'CGM-0001',
        sessionStart: SESSION_START,
        timeZoneMinutes: 60,
        dstOffsetMinutes: 0,
        history: { count: N },
        e2eCrc: true,
        live: false,
      });
    },
  });
});

after(async () => {
  cgm?.close();
  await rig?.close();
});

test('a 14-day 1-minute history (20,160 records) is backfilled completely, in order, once', T, async (t) => {
  backfillMs = await until(() => rig.count(KEY) >= N, 45_000, 'backfill of 20,160 records');
  t.diagnostic(`20,160 records in ${backfillMs} ms (including connect and discovery)`);
  assert.deepEqual(
    cgm.racpRequests.map((r) => r.hex),
    ['0101'],
    'first contact: report all',
  );
  const readings = listReadings(rig.store, KEY);
  assert.equal(readings.length, N);
  assert.deepEqual(
    readings.map((r) => r.recordNumber),
    Array.from({ length: N }, (_, i) => i),
  );
  const first = readings[0];
  const last = readings[N - 1];
  assert.equal(first.identity, `cgm:${SESSION_START.toISOString()}:0`);
  assert.equal(first.effectiveAt, SESSION_START.toISOString());
  assert.equal(first.deviceTime, 'offset+0min');
  assert.equal(last.effectiveAt, new Date(SESSION_START.getTime() + (N - 1) * 60_000).toISOString());
  assert.equal(first.specimen, 'isf');
  assert.equal(first.unit, 'mg/dL');
  assert.equal(
    first.raw,
    Buffer.from(cgm.records[0].bytes).toString('hex'),
    'raw bytes as received, CRC included',
  );
  assert.equal(rig.central.counters.get(KEY), 0, 'nothing rejected');
  const now = new Date().toISOString();
  assert.ok(
    readings.every((r) => r.receivedAt >= testStart && r.receivedAt <= now),
    'every reading carries the time the gateway received it',
  );

  const device = getDevice(rig.store, KEY);
  assert.ok(device);
  assert.equal(device.kind, 'cgm');
  assert.equal(device.serial_number, 'CGM-0001');
  const sessions = listSessions(rig.store, device.id);
  assert.equal(sessions.length, 1);
  assert.equal(sessions[0].started_at, SESSION_START.toISOString());
  assert.equal(sessions[0].interval_s, 60);
  assert.equal(
    sessions[0].expires_at,
    new Date(SESSION_START.getTime() + 336 * 3_600_000).toISOString(),
    'expiry = start + Session Run Time',
  );
});

test('live notifications reach the store within 1 s', T, async (t) => {
  await until(() => cgm.peripheral.isSubscribed('2aa7'), 5000, 'subscribed');
  for (let i = 1; i <= 3; i++) {
    const rec = cgm.tick();
    assert.ok(rec, 'the simulator stored and notified a live record');
    const ms = await until(() => rig.count(KEY) >= N + i, 1000, `live record ${i} stored within 1 s`);
    t.diagnostic(`live record at offset ${rec.timeOffset} stored after ${ms} ms`);
  }
  const newest = listReadings(rig.store, KEY).at(-1);
  assert.equal(newest?.recordNumber, N + 2);
});

test(
  'after a lost link the gateway reconnects and asks only for what is new (time offset >= last + 1)',
  T,
  async () => {
    const before = getDevice(rig.store, KEY)?.last_seen_ms ?? 0;
    cgm.clearLogs();
    cgm.peripheral.dropLink();
    await until(() => !cgm.peripheral.connected, 2000, 'link down');
    // the sensor keeps measuring while nobody listens
    cgm.tick();
    cgm.tick();
    await until(() => rig.count(KEY) >= N + 5, 10_000, 'the two records measured offline');
    const next = N + 3; // offsets 0 .. N+2 were stored before the drop
    assert.deepEqual(
      cgm.racpRequests.map((r) => r.hex),
      [`010301${(next & 0xff).toString(16).padStart(2, '0')}${(next >> 8).toString(16).padStart(2, '0')}`],
    );
    assert.equal(rig.count(KEY), N + 5);
    assert.ok((getDevice(rig.store, KEY)?.last_seen_ms ?? 0) >= before, 'device touched on reconnect');
    const status = rig.central.status().find((s) => s.key === KEY);
    assert.equal(status?.connects, 2);
    assert.equal(status?.duplicates, 0);
  },
);
