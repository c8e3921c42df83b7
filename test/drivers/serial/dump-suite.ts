// The end-to-end checks every simulated meter must pass, over a real pty with the real serialport binding
// and a real SQLite store: exact values and UTC times for 500 records, each line fault retried, faults beyond
// the retry budget failing cleanly, re-dumps storing nothing new, and the cable pulled mid-dump.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dumpMeter, type DumpResult } from '../../../drivers/serial/run-dump.ts';
import type { SerialProtocol } from '../../../drivers/serial/meter-session.ts';
import { listReadings, type StoredReading } from '../../../gateway/store/readings.ts';
import type { FaultKind, Scenario, ScenarioRecord } from '../../../firmware-bridge/meters/scenario.ts';
import { syntheticRecords } from '../../../firmware-bridge/meters/scenario.ts';
import { FAST, meterRig, type MeterRig } from './serial-harness.ts';
import { storePort } from '../../../gateway/ingest/port.ts';

export const TZ = 'Europe/Berlin';

/**
 * Independent oracle for Europe/Berlin (EU rule: CEST from the last Sunday of March 02:00 local until the
 * last Sunday of October 03:00 local). Gap times count as CET (moved forward), overlap times as CEST (earlier).
 */
export function berlinToUtc(local: string): string {
  const [date, time] = local.split('T');
  const [y, m, d] = date.split('-').map(Number);
  const hour = Number(time.slice(0, 2));
  const lastSunday = (month: number): number => {
    const last = new Date(Date.UTC(y, month, 0));
    return last.getUTCDate() - last.getUTCDay();
  };
  const march = lastSunday(3);
  const october = lastSunday(10);
  const afterStart = m > 3 || (m === 3 && (d > march || (d === march && hour >= 3)));
  const beforeEnd = m < 10 || (m === 10 && (d < october || (d === october && hour < 3)));
  const offsetH = afterStart && beforeEnd ? 2 : 1;
  return new Date(Date.parse(local + 'Z') - offsetH * 3_600_000).toISOString();
}

export interface SuiteOptions {
  protocol: SerialProtocol;
  serial: string;
  /** The meter's own rendering of a record time. */
  deviceTime: (local: string) => string;
  /** Checks `raw` is exactly what the meter sent for record i. */
  checkRaw: (raw: string, r: ScenarioRecord, i: number) => void;
  supportsFlags: boolean;
  /** Faults this protocol can show (ASTM `nak` hits the handshake, so it is tested apart). */
  recordFaults: FaultKind[];
  /** Faults the gateway rides out without a retry (noise outside frames is skipped). */
  harmless?: FaultKind[];
}

export function scenarioFor(o: SuiteOptions, n: number, extra: Partial<Scenario> = {}): Scenario {
  return {
    protocol: o.protocol,
    serial: o.serial,
    unit: 'mg/dL',
    clock: '2024-11-20T18:30:00',
    records: syntheticRecords(n, {
      newest: '2024-11-20T18:00:00',
      stepMinutes: 1000, // 500 records span Dec 2023 .. Nov 2024: both DST changes
      controlEvery: o.supportsFlags ? 10 : 0,
      flagEvery: o.supportsFlags ? 17 : 0,
    }),
    ...extra,
  };
}

export function assertExact(
  o: SuiteOptions,
  rows: StoredReading[],
  records: ScenarioRecord[],
  indexes: number[],
): void {
  assert.equal(rows.length, indexes.length, 'number of stored readings');
  const byTime = new Map(rows.map((r) => [r.effectiveAt, r]));
  for (const i of indexes) {
    const rec = records[i];
    const row = byTime.get(berlinToUtc(rec.time));
    assert.ok(row, `record ${i} (${rec.time}) stored at ${berlinToUtc(rec.time)}`);
    assert.equal(row.value, rec.value, `record ${i} value`);
    assert.equal(row.unit, 'mg/dL');
    assert.equal(row.flag, rec.flag ?? null, `record ${i} flag`);
    assert.equal(row.controlSolution, rec.control ?? false, `record ${i} control`);
    assert.equal(row.specimen, 'capillary');
    assert.equal(row.deviceTime, o.deviceTime(rec.time));
    o.checkRaw(row.raw, rec, i);
  }
}

async function dump(rig: MeterRig, o: SuiteOptions, retries = 3): Promise<DumpResult> {
  // Without retries a reply late by scheduling alone (a loaded 2-core CI machine) would fail the handshake:
  // give such a run a patient timeout, so only the fault under test can fail it.
  const timeouts = retries === 0 ? { replyMs: 2000, quietMs: 60 } : FAST.timeouts;
  return dumpMeter({
    path: rig.pty.gatewayPath,
    protocol: o.protocol,
    port: storePort(rig.store),
    timeZone: TZ,
    session: { ...FAST, ...(timeouts ? { timeouts } : {}), retries },
  });
}

export function dumpSuite(o: SuiteOptions): void {
  const deviceKey = `serial:${o.protocol}:${o.serial}`;

  test(`${o.protocol}: 500 records with exact values and UTC times; a second dump stores nothing new`, async (t) => {
    const scenario = scenarioFor(o, 500);
    const rig = await meterRig(t, scenario);
    const first = await dump(rig, o);
    assert.equal(first.error, undefined);
    assert.deepEqual([first.read, first.stored, first.duplicates, first.rejected.length], [500, 500, 0, 0]);
    assert.equal(first.deviceKey, deviceKey);
    assert.equal(first.config?.serialNumber, o.serial);
    // The meter clock runs 30 min behind a gateway clock... of whatever year the host has: offset = now - meter.
    const meterUtc = Date.parse(berlinToUtc(first.config!.meterLocalTime));
    assert.ok(
      Math.abs(
        first.config!.readAt.getTime() - meterUtc - listReadings(rig.store, deviceKey)[0].clockOffsetMs,
      ) < 1000,
    );
    assertExact(o, listReadings(rig.store, deviceKey), scenario.records, [...scenario.records.keys()]);
    const second = await dump(rig, o);
    assert.equal(second.error, undefined);
    assert.deepEqual([second.read, second.stored, second.duplicates], [500, 0, 500]);
    assert.equal(listReadings(rig.store, deviceKey).length, 500);
  });

  for (const kind of o.recordFaults) {
    test(`${o.protocol}: fault "${kind}" once → retried, every record stored exactly`, async (t) => {
      const scenario = scenarioFor(o, 40, { faults: [{ kind, at: 20 }] });
      const rig = await meterRig(t, scenario);
      const r = await dump(rig, o);
      assert.equal(r.error, undefined, r.error?.message);
      assert.equal(r.stored, 40);
      assertExact(o, listReadings(rig.store, deviceKey), scenario.records, [...scenario.records.keys()]);
    });

    if (o.harmless?.includes(kind)) {
      test(`${o.protocol}: fault "${kind}" on every transmission → skipped, every record stored exactly`, async (t) => {
        const scenario = scenarioFor(o, 40, { faults: [{ kind, at: 20, times: 50 }] });
        const rig = await meterRig(t, scenario);
        const r = await dump(rig, o, 0);
        assert.equal(r.error, undefined, r.error?.message);
        assertExact(o, listReadings(rig.store, deviceKey), scenario.records, [...scenario.records.keys()]);
      });
      continue;
    }

    test(`${o.protocol}: fault "${kind}" beyond the retry budget → clean failure, nothing corrupt stored`, async (t) => {
      const scenario = scenarioFor(o, 40, { faults: [{ kind, at: 20, times: 50 }] });
      const rig = await meterRig(t, scenario);
      const r = await dump(rig, o, 2);
      assert.ok(r.error, 'the dump fails');
      assert.match(r.error.code, /^ERR_(RETRIES_EXHAUSTED|INCOMPLETE)$/);
      const rows = listReadings(rig.store, deviceKey);
      // Records before the faulty one are complete and kept; the faulty one and later ones are not stored.
      assertExact(o, rows, scenario.records, [...Array(20).keys()]);
    });
  }

  test(`${o.protocol}: meter unplugged mid-dump → clean failure, complete records stay stored`, async (t) => {
    const scenario = scenarioFor(o, 60, { faults: [{ kind: 'unplug', at: 37 }] });
    const rig = await meterRig(t, scenario);
    const r = await dump(rig, o);
    assert.equal(r.error?.code, 'ERR_PORT_CLOSED');
    assert.equal(r.stored, 37);
    assertExact(o, listReadings(rig.store, deviceKey), scenario.records, [...Array(37).keys()]);
  });
}
