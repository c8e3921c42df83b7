import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dumpMeter } from '../../../drivers/serial/run-dump.ts';
import { TimeZoneError } from '../../../drivers/serial/local-time.ts';
import { parseScenario } from '../../../firmware-bridge/meters/scenario.ts';
import { listReadings } from '../../../gateway/store/readings.ts';
import { FAST, meterRig } from './serial-harness.ts';
import { storePort } from '../../../gateway/ingest/port.ts';

const demo = parseScenario(
  fs.readFileSync(
    path.resolve(
      path.dirname(fileURLToPath(import.meta.url)),
      '../../../firmware-bridge/meters/scenarios/onetouch-ultra2-demo.json',
    ),
    'utf8',
  ),
);

test('DST-crossing dump: gap and overlap wall times land on the right UTC instants', async (t) => {
  const scenario = {
    ...demo,
    records: [...demo.records, { time: '2024-10-26T23:00:00', value: 140, unreliable: true }],
  };
  const rig = await meterRig(t, scenario);
  const r = await dumpMeter({
    path: rig.pty.gatewayPath,
    protocol: 'onetouch-ultra2',
    port: storePort(rig.store),
    timeZone: 'Europe/Berlin',
    session: FAST,
  });
  assert.equal(r.error, undefined, r.error?.message);
  assert.equal(r.read, 6);
  assert.equal(r.stored, 5);
  assert.deepEqual(
    r.rejected.map((x) => x.reason),
    ['the meter marks this record unreliable (parity error "?")'],
  );
  const rows = listReadings(rig.store, 'serial:onetouch-ultra2:12345678Y').map((x) => ({
    at: x.effectiveAt,
    device: x.deviceTime,
    value: x.value,
    flag: x.flag,
    control: x.controlSolution,
  }));
  assert.deepEqual(rows, [
    // 31 March 2024 02:30 does not exist in Berlin: moved forward to 03:30 CEST.
    { at: '2024-03-31T01:30:00.000Z', device: '03/31/24 02:30:00', value: 87, flag: null, control: false },
    { at: '2024-10-26T10:00:00.000Z', device: '10/26/24 12:00:00', value: 105, flag: null, control: true },
    { at: '2024-10-26T20:05:00.000Z', device: '10/26/24 22:05:00', value: 600, flag: 'high', control: false },
    // 27 October 2024 02:30 happened twice: the earlier (CEST) instant.
    { at: '2024-10-27T00:30:00.000Z', device: '10/27/24 02:30:00', value: 98, flag: null, control: false },
    // After the change: CET, UTC+1.
    { at: '2024-10-27T07:15:00.000Z', device: '10/27/24 08:15:00', value: 123, flag: null, control: false },
  ]);
});

test('the same meter read in another zone gives other UTC times (the zone is configuration, not guessed)', async (t) => {
  const rig = await meterRig(t, { ...demo, faults: [] });
  const r = await dumpMeter({
    path: rig.pty.gatewayPath,
    protocol: 'onetouch-ultra2',
    port: storePort(rig.store),
    timeZone: 'America/New_York',
    session: FAST,
  });
  assert.equal(r.stored, 5);
  const at = listReadings(rig.store, 'serial:onetouch-ultra2:12345678Y').map((x) => x.effectiveAt);
  assert.ok(at.includes('2024-10-27T12:15:00.000Z'), '08:15 EDT');
});

test('an unknown time zone is refused before the port is touched', async () => {
  await assert.rejects(
    dumpMeter({
      path: '/nonexistent',
      protocol: 'astm',
      port: undefined as never,
      timeZone: 'Mars/Olympus',
    }),
    TimeZoneError,
  );
});

test('a port that cannot be opened is a MeterError ERR_PORT_OPEN', async (t) => {
  const rig = await meterRig(t, { ...demo, faults: [] });
  await assert.rejects(
    dumpMeter({ path: '/nonexistent/tty', protocol: 'astm', port: storePort(rig.store), timeZone: 'UTC' }),
    (err: Error & { code?: string }) => err.code === 'ERR_PORT_OPEN',
  );
});
