// The retention job purges by age only while the hub clock is synchronized (HDDT data must stay retrievable
// for its historic data period; a clock ahead would delete readings still inside it): an unsynchronized clock
// is logged with the way to override it, shown through the operator probes, and nothing is deleted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadConfig } from '../../config/load.ts';
import { bgSeries } from '../../firmware-bridge/synthetic-readings.ts';
import { ingest } from '../../gateway/ingest/pipeline.ts';
import type { Logger } from '../../gateway/log.ts';
import { countReadings } from '../../gateway/store/readings.ts';
import { openStore } from '../../gateway/store/store.ts';
import type { HubClock, HubClockState } from '../../lib/hub-clock.ts';
import { OperatorProbes } from '../../server/operator/probes.ts';
import { renderStatusPage } from '../../server/operator/page.ts';
import { translatorFor } from '../../server/shared/i18n.ts';
import { collectStatus, glucoseCharts } from '../../server/operator/status.ts';
import { createRetentionJob } from '../../wiring/jobs.ts';
import type { GatewayContext } from '../../wiring/component.ts';
import { tempDir } from '../helpers/tmp.ts';

const DAY = 86_400_000;

function setup(t: { after: (fn: () => void) => void }) {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const store = openStore({ path: path.join(dir, 'h.sqlite') });
  t.after(() => store.close());
  // 60 days of blood glucose up to now; the default period keeps 30 of them
  ingest(store, bgSeries({ deviceKey: 'ble:bg', start: new Date(Date.now() - 60 * DAY), days: 60 }));
  const warnings: Array<{ fields: Record<string, unknown>; message: string }> = [];
  const log = {
    warn: (fields: Record<string, unknown>, message: string) => warnings.push({ fields, message }),
    info: () => {},
    error: () => {},
  } as unknown as Logger;
  const config = loadConfig({ env: {}, overrides: { dataDir: dir } });
  const ctx = { config, store, log } as unknown as GatewayContext;
  return { store, ctx, warnings };
}

const clockOf = (state: HubClockState): HubClock => ({ state: () => Promise.resolve(state) });

test('an unsynchronized hub clock holds the purge back, says why and shows it', async (t) => {
  const { store, ctx, warnings } = setup(t);
  const before = countReadings(store);
  const probes = new OperatorProbes();
  const state: HubClockState = { synchronized: false, source: 'timedatectl', detail: 'NTPSynchronized=no' };
  const stop = await createRetentionJob({ hubClock: clockOf(state), probes }).start(ctx);
  await stop();
  assert.equal(countReadings(store), before, 'nothing deleted');
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]!.fields.reason, 'hub-clock-unsynchronized');
  assert.match(warnings[0]!.message, /not purging by age.*NTPSynchronized=no.*ble\.hubClock to "trusted"/);
  assert.deepEqual(probes.hubClock, state);
});

test('a synchronized (or trusted) clock purges what is past the period', async (t) => {
  const { store, ctx, warnings } = setup(t);
  const before = countReadings(store);
  const probes = new OperatorProbes();
  const stop = await createRetentionJob({
    hubClock: clockOf({ synchronized: true, source: 'chrony' }),
    probes,
  }).start(ctx);
  await stop();
  const after = countReadings(store);
  assert.ok(after < before && after > 0, `${before} → ${after}`);
  assert.deepEqual(warnings, []);
  assert.equal(probes.hubClock?.source, 'chrony');
});

test('the status page flags an unsynchronized hub clock', (t) => {
  const { store, ctx } = setup(t);
  const page = (state: HubClockState | null) => {
    const probes = new OperatorProbes();
    probes.hubClock = state;
    const source = { config: ctx.config, store, probes };
    const now = Date.now();
    const charts = glucoseCharts(source, now);
    return renderStatusPage(collectStatus(source, now, charts), charts, 'UTC', { tr: translatorFor('en') });
  };
  assert.match(
    page({ synchronized: false, source: 'none', detail: 'no daemon answered' }),
    /id="hub-clock"><span class="bad">not synchronized<\/span> \(none: no daemon answered\) · purge by age/,
  );
  assert.match(
    page({ synchronized: true, source: 'timesyncd' }),
    /id="hub-clock"><span class="ok">synchronized<\/span> \(timesyncd\)/,
  );
  assert.match(page(null), /id="hub-clock"><span class="muted">not checked/);
});
