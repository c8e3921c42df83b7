import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { purgeExpired } from '../../../gateway/jobs/retention.ts';
import { ingest } from '../../../gateway/ingest/pipeline.ts';
import { openStore } from '../../../gateway/store/store.ts';
import { countReadings, listReadings } from '../../../gateway/store/readings.ts';
import { getResource, listResources } from '../../../gateway/store/resources.ts';
import { bgSeries, cgmSeries } from '../../../firmware-bridge/synthetic-readings.ts';
import { tempDir } from '../../helpers/tmp.ts';

const DAY = 86_400_000;
const NOW = Date.parse('2025-12-31T12:00:00Z');
const periods = { bloodGlucose: 30, cgm: 45 };

test('purge deletes readings and resources past each MIV period in small batches, and nothing newer', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const store = openStore({ path: path.join(dir, 'h.sqlite') });
  t.after(() => store.close());
  // 60 days of BG (8/day) and two CGM sessions of 14 days at 5 minutes, ending today
  const bgStart = new Date(NOW - 60 * DAY);
  ingest(store, bgSeries({ deviceKey: 'ble:bg', start: bgStart, days: 60 }), { now: new Date(NOW) });
  const s1 = new Date(NOW - 70 * DAY);
  const s2 = new Date(NOW - 14 * DAY);
  for (const s of [s1, s2]) {
    ingest(store, cgmSeries({ deviceKey: 'ble:cgm', sessionStart: s, count: 14 * 288, intervalMinutes: 5 }), {
      now: new Date(NOW),
    });
  }
  // the first sensor's Device: the one that expired first (both are inactive at NOW: the second ends then)
  const oldSession = listResources(store, 'Device')
    .filter((d) => d.code === '700585005')
    .sort((a, b) => JSON.parse(a.json).expirationDate.localeCompare(JSON.parse(b.json).expirationDate))[0];
  const bgBefore = listReadings(store, 'ble:bg');
  const oldBg = listResources(store, 'Observation').filter(
    (r) => r.code === '41653-7' && r.effective_end_ms! <= NOW - 30 * DAY,
  );
  assert.ok(oldBg.length > 200);

  const counts = await purgeExpired(
    store,
    { historicDataPeriodDays: periods, chunkMinutes: 60, batchSize: 50 },
    NOW,
  );

  const bgAfter = listReadings(store, 'ble:bg');
  const cutBg = NOW - 30 * DAY;
  assert.deepEqual(
    bgAfter.map((r) => r.identity),
    bgBefore.filter((r) => Date.parse(r.effectiveAt) >= cutBg).map((r) => r.identity),
  );
  for (const o of oldBg) assert.equal(getResource(store, 'Observation', o.id), undefined, 'purged → 404');
  const cutCgm = NOW - 45 * DAY;
  for (const r of listResources(store, 'Observation')) {
    if (r.code === '99504-3') assert.ok(r.effective_end_ms! > cutCgm);
    else assert.ok(r.effective_end_ms! >= cutBg);
  }
  // the first sensor session (ended 56 days ago) is gone completely, the second one stays
  assert.equal(getResource(store, 'Device', oldSession.id), undefined);
  assert.equal(listResources(store, 'Device').length, 2, 'BG meter + current sensor');
  assert.equal(counts.sessions, 1);
  assert.equal(counts.readings, bgBefore.length - bgAfter.length + 14 * 288);
  assert.equal(countReadings(store), bgAfter.length + 14 * 288);
  assert.equal(store.db.pragma('integrity_check', { simple: true }), 'ok');

  // a meter re-dumping its memory brings nothing purged back
  const again = ingest(store, bgSeries({ deviceKey: 'ble:bg', start: bgStart, days: 60 }), {
    now: new Date(NOW),
    retention: periods,
  });
  assert.equal(again.stored, 0);
  assert.equal(again.expired, bgBefore.length - bgAfter.length);
  assert.equal(again.duplicates, bgAfter.length);
});
