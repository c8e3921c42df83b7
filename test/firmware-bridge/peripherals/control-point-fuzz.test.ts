// Fuzzing the control points through the real noble: whatever bytes a central writes to RACP or SOCP,
// the simulator answers exactly once with a well-formed response (or an ATT error), never crashes,
// and sends records only for "report stored records".
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeCgmMeasurement } from '../../../drivers/codecs/cgm-measurement.ts';
import { decodeCgmSocp } from '../../../drivers/codecs/cgm-socp.ts';
import { decodeRacp } from '../../../drivers/codecs/racp.ts';
import { decodeGlucoseMeasurement } from '../../../drivers/codecs/glucose-measurement.ts';
import { CgmSimulator, GlucoseMeterSimulator } from '../../../firmware-bridge/peripherals/index.ts';
import { connect, discover, startRig, until, type Link, type Rig } from './helpers.ts';

const T = { timeout: 60_000 };
let rig: Rig;
let cgm: CgmSimulator;
let link: Link;
let meter: GlucoseMeterSimulator;
let meterLink: Link;

before(async () => {
  rig = await startRig();
  cgm = new CgmSimulator(rig.controller, {
    address: 'c0:11:22:33:88:01',
    history: { count: 40 },
    e2eCrc: false, // so random SOCP bytes reach the op-code logic instead of failing the CRC check
    live: false,
  });
  link = await connect(await discover(rig.noble, '181f', cgm.address));
  for (const uuid of ['2aa7', '2a52', '2aac']) await link.char(uuid).subscribeAsync();
  meter = new GlucoseMeterSimulator(rig.controller, {
    address: 'c0:11:22:33:88:02',
    history: { count: 40, contextEvery: 3, end: '2024-03-15T12:00:00Z' },
  });
  meterLink = await connect(await discover(rig.noble, '1808', meter.address));
  for (const uuid of ['2a18', '2a34', '2a52']) await meterLink.char(uuid).subscribeAsync();
});

after(async () => {
  cgm?.close();
  meter?.close();
  await rig?.close();
});

/** Writes `bytes` and waits for one indication or one ATT error; returns what came back. */
async function exchange(
  uuid: string,
  bytes: Buffer,
  l = link,
  recordUuid = '2aa7',
): Promise<{ indication?: Buffer; attError?: number; records: Buffer[] }> {
  const c = l.char(uuid);
  const records: Buffer[] = [];
  const onRecord = (d: Buffer) => records.push(d);
  let indication: Buffer | undefined;
  const onIndication = (d: Buffer) => (indication = d);
  l.char(recordUuid).on('data', onRecord);
  c.on('data', onIndication);
  const errors = rig.attErrors.length;
  try {
    c.writeAsync(bytes, false).catch(() => undefined); // a refused write never resolves in noble
    await until(
      () => indication !== undefined || rig.attErrors.length > errors,
      5000,
      `answer to ${bytes.toString('hex')}`,
    );
    await new Promise((r) => setTimeout(r, 2)); // a second answer would show up here
    return { indication, attError: rig.attErrors.at(errors)?.code, records };
  } finally {
    l.char(recordUuid).removeListener('data', onRecord);
    c.removeListener('data', onIndication);
  }
}

const opBiased = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 12 }),
  fc
    .tuple(
      fc.constantFrom(1, 2, 3, 4, 5, 6, 7),
      fc.integer({ min: 0, max: 8 }),
      fc.uint8Array({ maxLength: 6 }),
    )
    .map(([op, operator, rest]) => Uint8Array.from([op, operator, ...rest])),
);

test('RACP: any write gets exactly one response, and records only for a report', T, async () => {
  await fc.assert(
    fc.asyncProperty(opBiased, async (raw) => {
      const bytes = Buffer.from(raw);
      const r = await exchange('2a52', bytes);
      if (r.attError !== undefined) {
        assert.equal(r.indication, undefined);
        return;
      }
      assert.ok(r.indication, 'an indication');
      const m = decodeRacp(r.indication, { service: 'cgms' });
      assert.ok(m.opCode === 'response-code' || m.opCode === 'number-of-stored-records-response');
      if (m.opCode === 'response-code') assert.equal(m.requestOpCode, bytes.length > 0 ? bytes[0] : 0);
      if (r.records.length > 0) {
        assert.equal(bytes[0], 0x01);
        for (const rec of r.records) decodeCgmMeasurement(rec, { crc: false });
      }
    }),
    { numRuns: 150, seed: 20240301 },
  );
  assert.ok(cgm.racpRequests.length >= 150);
});

test('SOCP: any write gets exactly one well-formed response', T, async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 12 }), async (raw) => {
      const bytes = Buffer.from(raw);
      if (bytes[0] === 0x1a) return; // start session would wipe the records other runs use
      const r = await exchange('2aac', bytes);
      assert.equal(r.attError, undefined);
      assert.ok(r.indication);
      const m = decodeCgmSocp(r.indication);
      if (m.opCode === 'response-code') assert.equal(m.requestOpCode, bytes[0]);
    }),
    { numRuns: 150, seed: 20240302 },
  );
});

const glsBiased = fc.oneof(
  opBiased,
  fc
    .tuple(fc.constantFrom(1, 2, 4), fc.constantFrom(2, 3, 4), fc.uint8Array({ minLength: 7, maxLength: 14 }))
    .map(([op, operator, dt]) => Uint8Array.from([op, operator, 0x02, ...dt])),
);

test(
  'GLS RACP (sequence and user facing time filters): one response, records only for a report',
  T,
  async () => {
    await fc.assert(
      fc.asyncProperty(glsBiased, async (raw) => {
        const bytes = Buffer.from(raw);
        const r = await exchange('2a52', bytes, meterLink, '2a18');
        if (r.attError !== undefined) return assert.equal(r.indication, undefined);
        assert.ok(r.indication, 'an indication');
        const m = decodeRacp(r.indication, { service: 'gls' });
        if (m.opCode === 'response-code') assert.equal(m.requestOpCode, bytes.length > 0 ? bytes[0] : 0);
        if (r.records.length > 0) assert.equal(bytes[0], 0x01);
        for (const rec of r.records) decodeGlucoseMeasurement(rec);
      }),
      { numRuns: 150, seed: 20240303 },
    );
  },
);
