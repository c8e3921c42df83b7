// Scenario files: schema errors name the field; raw hex records go on the air byte for byte (read back
// with the real noble); the demo scenario is valid; runtime control commands.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withBindings, type Noble } from '@stoprocent/noble';
import { crc16Mcrf4xx } from '../../../drivers/codecs/crc16-mcrf4xx.ts';
import {
  ScenarioError,
  applyControl,
  loadScenario,
  parseScenario,
  startSimulation,
  type Simulation,
} from '../../../firmware-bridge/peripherals/index.ts';
import { connect, discover, hex, request } from './helpers.ts';

const T = { timeout: 20_000 };
const DEMO = path.resolve(import.meta.dirname, '../../../firmware-bridge/peripherals/scenarios/demo.json');

const problemsOf = (doc: unknown): readonly string[] => {
  try {
    parseScenario(doc);
  } catch (e) {
    assert.ok(e instanceof ScenarioError);
    return e.problems;
  }
  assert.fail('expected a ScenarioError');
};

const withCrc = (h: string): string => {
  const b = hex(h);
  const c = crc16Mcrf4xx(b);
  return Buffer.concat([b, Buffer.from([c & 0xff, c >> 8])]).toString('hex');
};

// two CGM records with a correct CRC, one deliberately wrong, and GLS records given as raw bytes
const CGM_RAW = [withCrc('08 00 0c10 0a00'), '08 00 0c10 0b00 0000', withCrc('09 20 2480 0c00 01')];
const GLS_RAW = {
  measurement: '13 2a 00 e8 07 03 0f 08 1e 00 00 00 78 b0 11',
  context: '02 2a 00 01',
};

let dir: string;
let sim: Simulation | undefined;
let noble: Noble | undefined;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scenario-test-'));
});

after(async () => {
  noble?.stop();
  await sim?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the demo scenario is valid: a 14-day 1-minute CGM and a meter with 500 records', () => {
  const s = loadScenario(DEMO);
  const [cgm, meter] = s.peripherals;
  assert.equal(cgm.kind, 'cgm');
  assert.equal(cgm.kind === 'cgm' && cgm.history?.days, 14);
  assert.equal(cgm.kind === 'cgm' && cgm.intervalMinutes, 1);
  assert.equal(cgm.kind === 'cgm' && cgm.live, true);
  assert.equal(meter.kind === 'glucose' && meter.history?.count, 500);
});

test('schema errors name the field, the value and what was expected', () => {
  assert.deepEqual(
    problemsOf({
      peripherals: [
        {
          kind: 'cgm',
          address: 'c0:11:22:33:44:55',
          intervalMinutes: 3,
          timeZoneMinutes: 50,
          history: { days: 14, bogus: 1 },
          records: [{ timeOffset: 3, glucose: 'XX' }, 'zz'],
        },
      ],
    }),
    [
      `scenario field 'peripherals[0].intervalMinutes' has value 3: expected one of [1,5]`,
      `scenario field 'peripherals[0].timeZoneMinutes' has value 50: expected multiple of 15`,
      `scenario field 'peripherals[0].history.bogus' is not a known setting`,
      `scenario field 'peripherals[0].records[0].glucose' has value "XX": expected one of ["LO","HI","NaN"]`,
      `scenario field 'peripherals[0].records[1]' has value "zz": expected text matching ^(0x)?[0-9a-fA-F][0-9a-fA-F\\s:-]*$`,
    ],
  );
  assert.deepEqual(problemsOf({ peripherals: [{ kind: 'meter', address: 'c0:11:22:33:44:55' }] }), [
    `scenario field 'peripherals[0].kind' has value "meter": expected one of ["cgm","glucose"]`,
  ]);
  assert.deepEqual(
    problemsOf({ peripherals: [{ kind: 'glucose', address: 'c0:11:22', unit: 'mg/dL' }], speed: 0 }),
    [
      `scenario field 'speed' has value 0: expected > 0`,
      `scenario field 'peripherals[0].address' has value "c0:11:22": expected a Bluetooth address aa:bb:cc:dd:ee:ff`,
      `scenario field 'peripherals[0].unit' has value "mg/dL": expected one of ["kg/L","mol/L"]`,
    ],
  );
  assert.deepEqual(problemsOf({ peripherals: [] }), [
    `scenario field 'peripherals' has value []: expected at least 1 item(s)`,
  ]);
  assert.deepEqual(
    problemsOf({ peripherals: [{ kind: 'cgm', address: 'c0:11:22:33:44:55', sessionStart: 'yesterday' }] }),
    [
      `scenario field 'peripherals[0].sessionStart' has value "yesterday": expected a date-time such as 2024-03-01T07:00:00Z`,
    ],
  );
});

test('checks beyond the schema: raw records must decode, addresses are unique, faults fit the kind', () => {
  assert.deepEqual(
    problemsOf({
      peripherals: [
        { kind: 'cgm', address: 'c0:11:22:33:44:55', e2eCrc: false, faults: { corruptCrcEvery: 5 } },
        { kind: 'cgm', address: 'C0:11:22:33:44:55', records: ['07 00 0c10 0600'] },
        { kind: 'glucose', address: 'c0:11:22:33:44:56', records: [{ measurement: '1b 00' }] },
      ],
    }),
    [
      `scenario field 'peripherals[0].faults.corruptCrcEvery' needs e2eCrc: true (no CRC to corrupt)`,
      `scenario field 'peripherals[1].address' repeats C0:11:22:33:44:55 of peripherals[0]`,
      `scenario field 'peripherals[1].records[0]' is not a valid record: CGM Measurement record 1: Size 7 but only 6 octet(s) left`,
      `scenario field 'peripherals[2].records[0].measurement' is not a valid record: Glucose Measurement: flags 0x1b announce 17 octets, got 2`,
    ],
  );
});

test('loadScenario: unreadable file and broken JSON are ScenarioErrors too', () => {
  assert.throws(() => loadScenario(path.join(dir, 'missing.json')), /cannot read scenario/);
  const broken = path.join(dir, 'broken.json');
  fs.writeFileSync(broken, '{ "peripherals": [');
  assert.throws(
    () => loadScenario(broken),
    (e: unknown) => e instanceof ScenarioError && /not valid JSON/.test(e.message),
  );
});

test('raw hex records in a scenario reach noble byte for byte, in time-offset order', T, async () => {
  const file = path.join(dir, 'raw.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      peripherals: [
        {
          kind: 'cgm',
          address: 'c0:11:22:33:66:01',
          live: false,
          records: [CGM_RAW[2], CGM_RAW[0], CGM_RAW[1]],
        },
        { kind: 'glucose', address: 'c0:11:22:33:66:02', records: [GLS_RAW, { glucose: 99, sequence: 43 }] },
      ],
    }),
  );
  sim = await startSimulation(loadScenario(file));
  assert.ok(fs.existsSync(sim.ptyPath));
  noble = withBindings('hci', sim.controller.nobleOptions());
  await noble.waitForPoweredOnAsync(5000);

  const c = await connect(await discover(noble, '181f', 'c0:11:22:33:66:01'));
  const got: string[] = [];
  c.char('2aa7').on('data', (d: Buffer) => got.push(d.toString('hex')));
  await c.char('2aa7').subscribeAsync();
  await c.char('2a52').subscribeAsync();
  assert.deepEqual(await request(c.char('2a52'), hex('01 01')), hex('06 00 01 01'));
  assert.deepEqual(
    got,
    CGM_RAW.map((h) => hex(h).toString('hex')),
  );
  await c.peripheral.disconnectAsync();

  const m = await connect(await discover(noble, '1808', 'c0:11:22:33:66:02'));
  const events: string[] = [];
  m.char('2a18').on('data', (d: Buffer) => events.push(`m:${d.toString('hex')}`));
  m.char('2a34').on('data', (d: Buffer) => events.push(`c:${d.toString('hex')}`));
  await m.char('2a18').subscribeAsync();
  await m.char('2a34').subscribeAsync();
  await m.char('2a52').subscribeAsync();
  assert.deepEqual(await request(m.char('2a52'), hex('01 03 01 2a 00')), hex('06 00 01 01'));
  assert.equal(events.length, 3);
  assert.equal(events[0], `m:${hex(GLS_RAW.measurement).toString('hex')}`);
  assert.equal(events[1], `c:${hex(GLS_RAW.context).toString('hex')}`);
  assert.ok(events[2].startsWith('m:032b00'), 'the structured record with sequence 43 follows');
  await m.peripheral.disconnectAsync();
});

test('runtime control commands: faults, measurements, request log, errors', () => {
  assert.ok(sim);
  const meter = sim.meter('c0:11:22:33:66:02');
  assert.deepEqual(applyControl(sim, '{"address":"C0:11:22:33:66:02","faults":{"dropLinkAfterRecords":3}}'), {
    ok: true,
    address: 'c0:11:22:33:66:02',
    faults: meter.faults,
  });
  assert.equal(meter.faults.dropLinkAfterRecords, 3);
  const added = applyControl(sim, '{"address":"c0:11:22:33:66:02","measurement":{"glucose":120}}');
  assert.deepEqual(added, { ok: true, address: 'c0:11:22:33:66:02', sequence: 44 });
  assert.deepEqual(applyControl(sim, '{"address":"c0:11:22:33:66:02","requests":true}'), {
    ok: true,
    address: 'c0:11:22:33:66:02',
    racp: ['0103012a00'],
  });
  assert.equal(applyControl(sim, '{"address":"c0:11:22:33:66:01","tick":true}').ok, true);
  assert.deepEqual(applyControl(sim, 'nope'), { ok: false, error: `not JSON: ${jsonError('nope')}` });
  assert.deepEqual(applyControl(sim, '{"address":"c0:00:00:00:00:00"}'), {
    ok: false,
    error: 'no simulated peripheral at c0:00:00:00:00:00',
  });
  assert.deepEqual(applyControl(sim, '{"address":"c0:11:22:33:66:02","faults":{"corruptCrcEvery":2}}'), {
    ok: false,
    error: 'fault corruptCrcEvery: GLS records carry no E2E-CRC',
  });
  assert.equal(sim.cgm('c0:11:22:33:66:01').address, 'c0:11:22:33:66:01');
  assert.throws(() => sim?.cgm('c0:11:22:33:66:02'), /no simulated CGM/);
});

function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}
