import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAstmFrame } from '../../../drivers/codecs/astm-frame.ts';
import { contourResultRecord } from '../../../firmware-bridge/meters/astm-contour-meter.ts';
import { dumpMeter } from '../../../drivers/serial/run-dump.ts';
import { listReadings } from '../../../gateway/store/readings.ts';
import { berlinToUtc, dumpSuite, scenarioFor, TZ, type SuiteOptions } from './dump-suite.ts';
import { FAST, meterRig } from './serial-harness.ts';
import { storePort } from '../../../gateway/ingest/port.ts';

const suite: SuiteOptions = {
  protocol: 'astm',
  serial: '7390-2336773',
  deviceTime: (t: string) => t.slice(0, 16).replace(/[-T:]/g, ''),
  checkRaw: (raw, r, i) => {
    // The exact frame(s) the record came in: they verify and carry this record's text.
    const text = raw
      .split(' ')
      .map((h) => decodeAstmFrame(Buffer.from(h, 'hex')).text)
      .join('');
    assert.equal(text, contourResultRecord(r, i + 1, 'mg/dL') + '\r');
  },
  supportsFlags: true,
  recordFaults: ['bad-checksum', 'cut', 'noise', 'silence'],
  harmless: ['noise'],
};

dumpSuite(suite);

test('astm: meter answers ENQ with NAK (busy) → the gateway asks again', async (t) => {
  const scenario = scenarioFor(suite, 10, { faults: [{ kind: 'nak', at: 0, times: 2 }] });
  const rig = await meterRig(t, scenario);
  const r = await dumpMeter({
    path: rig.pty.gatewayPath,
    protocol: 'astm',
    port: storePort(rig.store),
    timeZone: TZ,
    session: FAST,
  });
  assert.equal(r.error, undefined, r.error?.message);
  assert.equal(r.stored, 10);
  const sent = Buffer.concat(rig.meter.port.received);
  assert.equal(sent.filter((b) => b === 0x05).length, 3, 'three ENQs: two refused, one accepted');
});

test('astm: meter busy beyond the retry budget → clean failure, nothing stored', async (t) => {
  const scenario = scenarioFor(suite, 10, { faults: [{ kind: 'nak', at: 0, times: 50 }] });
  const rig = await meterRig(t, scenario);
  const r = await dumpMeter({
    path: rig.pty.gatewayPath,
    protocol: 'astm',
    port: storePort(rig.store),
    timeZone: TZ,
    session: FAST,
  });
  assert.equal(r.error?.code, 'ERR_RETRIES_EXHAUSTED');
  assert.equal(r.config, undefined);
  assert.equal(r.stored, 0);
});

test('astm: bad checksum is NAKed and the frame resent; mmol/L values keep their decimals', async (t) => {
  const scenario = {
    ...scenarioFor(suite, 12, { faults: [{ kind: 'bad-checksum' as const, at: 3 }] }),
    unit: 'mmol/L' as const,
  };
  scenario.records = scenario.records.map((r) => ({
    ...r,
    value: Math.round((r.value / 18) * 10) / 10,
    flag: undefined,
  }));
  const rig = await meterRig(t, scenario);
  const r = await dumpMeter({
    path: rig.pty.gatewayPath,
    protocol: 'astm',
    port: storePort(rig.store),
    timeZone: TZ,
    session: FAST,
  });
  assert.equal(r.error, undefined);
  const rows = listReadings(rig.store, 'serial:astm:7390-2336773');
  assert.equal(rows.length, 12);
  for (const rec of scenario.records) {
    const row = rows.find((x) => x.effectiveAt === berlinToUtc(rec.time));
    assert.equal(row?.value, rec.value);
    assert.equal(row?.unit, 'mmol/L');
  }
  const sent = Buffer.concat(rig.meter.port.received);
  assert.ok(sent.includes(0x15), 'the gateway sent NAK for the corrupt frame');
});
