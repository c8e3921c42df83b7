// Device facts do not churn: a CGM whose device key reports another serial number in each sensor session keeps
// each session's serial on that session's Device, and a re-import that stores no new reading makes no new
// version of anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { cgmSeries, bgSeries } from '../../../firmware-bridge/synthetic-readings.ts';
import { ingest } from '../../../gateway/ingest/pipeline.ts';
import type { Reading } from '../../../gateway/readings/reading.ts';
import { refreshTimeDependent } from '../../../gateway/ingest/refresh.ts';
import { listResources, parseResource } from '../../../gateway/store/resources.ts';
import { openStore, type Store } from '../../../gateway/store/store.ts';
import { tempDir } from '../../helpers/tmp.ts';

const DAY = 86_400_000;
const T0 = new Date('2025-09-01T00:00:00Z');
const mapping = {
  chunkMinutes: 60,
  delayFromRealTimeSeconds: 900,
  cgmDefaultLimits: { lower: 40, upper: 400 },
};

function fresh(t: { after: (fn: () => void) => void }): Store {
  const { dir, cleanup } = tempDir('hddt-facts-');
  const store = openStore({ path: path.join(dir, 'hddt.sqlite') });
  t.after(() => {
    store.close();
    cleanup();
  });
  return store;
}

/** Two sensor sessions of one device key, each with its own serial number, as a CGM transmitter reports them. */
function twoSessions(): Reading[] {
  const session = (start: Date, serial: string, seed: number) =>
    cgmSeries({ deviceKey: 'ble:cgm', sessionStart: start, count: 120, intervalMinutes: 5, seed }).map(
      (r) => ({
        ...r,
        device: { ...r.device, serialNumber: serial },
      }),
    );
  return [...session(T0, 'SENSOR-A', 1), ...session(new Date(T0.getTime() + 14 * DAY), 'SENSOR-B', 2)];
}

const versions = (store: Store) =>
  listResources(store)
    .map((r) => `${r.type}/${r.id}@${r.version}`)
    .sort();

test("each sensor session's Device keeps the serial number that session reported", (t) => {
  const store = fresh(t);
  const readings = twoSessions();
  const now = new Date(T0.getTime() + 15 * DAY);
  ingest(store, readings, { now, mapping });
  const serials = () =>
    listResources(store, 'Device')
      .map((r) => parseResource<{ serialNumber?: string; expirationDate: string }>(r))
      .sort((a, b) => a.expirationDate.localeCompare(b.expirationDate))
      .map((d) => d.serialNumber);
  assert.deepEqual(serials(), ['SENSOR-A', 'SENSOR-B']);
  // the first session read again (a backfill after reconnecting) changes neither Device
  const before = versions(store);
  ingest(store, readings.slice(0, 50), { now, mapping });
  assert.deepEqual(serials(), ['SENSOR-A', 'SENSOR-B']);
  assert.deepEqual(versions(store), before);
});

test('a re-import that stores no new reading makes no new version of any resource', (t) => {
  const store = fresh(t);
  const readings = [...twoSessions(), ...bgSeries({ deviceKey: 'serial:m', start: T0, days: 20, perDay: 4 })];
  const now = new Date(T0.getTime() + 30 * DAY);
  // in batches, as `import` and the drivers hand them over (a batch boundary falls inside each session)
  const inBatches = (at: Date) => {
    let stored = 0;
    for (let i = 0; i < readings.length; i += 70)
      stored += ingest(store, readings.slice(i, i + 70), { now: at, mapping }).stored;
    return stored;
  };
  assert.equal(inBatches(now), readings.length);
  refreshTimeDependent(store, now.getTime(), mapping);
  const before = versions(store);
  assert.equal(inBatches(new Date(now.getTime() + 60_000)), 0);
  assert.deepEqual(versions(store), before);
});
