// The status page's charts have their values as tables (the text alternative): the 24-hour table holds each
// CGM sample the polylines draw and each meter reading drawn as a dot, in time order, the AGP table each
// bin's count and percentiles; both sit in a <details> below their chart on the page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { agpChartTable, dayChartTable } from '../../../server/operator/chart-tables.ts';
import { renderStatusPage } from '../../../server/operator/page.ts';
import { translatorFor } from '../../../server/shared/i18n.ts';

const EN = translatorFor('en');
import { OperatorProbes } from '../../../server/operator/probes.ts';
import { collectStatus, glucoseCharts, type GlucoseCharts } from '../../../server/operator/status.ts';
import { renderAgpChart, renderDayChart } from '../../../server/operator/svg.ts';
import { operatorFixture, type Fixture } from './fixture.ts';

let fx: Fixture;
let charts: GlucoseCharts;
const TZ = 'Europe/Berlin';

before(() => {
  fx = operatorFixture();
  charts = glucoseCharts({ config: fx.config, store: fx.store, probes: new OperatorProbes() }, fx.nowMs);
});
after(() => fx.cleanup());

/** The cells of each body row, with the row's data attributes. */
function rows(table: string): Array<{ attrs: string; cells: string[] }> {
  const body = /<tbody>([\s\S]*)<\/tbody>/.exec(table)![1]!;
  return [...body.matchAll(/<tr([^>]*)>([\s\S]*?)<\/tr>/g)].map((m) => ({
    attrs: m[1]!,
    cells: [...m[2]!.matchAll(/<td>([^<]*)<\/td>/g)].map((c) => c[1]!),
  }));
}

test('24 h table: one row per CGM point and meter dot of the chart, the same values, oldest first', () => {
  const day = {
    cgm: charts.cgm24h,
    meter: charts.meter24h,
    fromMs: charts.fromMs,
    toMs: charts.toMs,
    timeZone: TZ,
  };
  const svg = renderDayChart(day);
  const points = [...svg.matchAll(/<polyline class="cgm-line"[^>]*points="([^"]+)"/g)].flatMap((m) =>
    m[1]!.trim().split(/\s+/),
  );
  const dots = [...svg.matchAll(/<circle class="bg-dot"/g)].length;
  const table = dayChartTable(day, EN);
  assert.match(table, /^<details class="chart-values"><summary>Values as a table<\/summary>/);
  const r = rows(table);
  const cgm = r.filter((x) => x.attrs.includes('data-source="cgm"'));
  const meter = r.filter((x) => x.attrs.includes('data-source="meter"'));
  assert.equal(cgm.length, points.length);
  assert.equal(cgm.length, 288);
  assert.equal(meter.length, dots);
  assert.equal(meter.length, fx.meterReadings24h);
  const inTime = [...charts.cgm24h].sort((a, b) => a.atMs - b.atMs);
  assert.deepEqual(
    cgm.map((x) => x.cells[1]),
    inTime.map((s) => String(Math.round(s.mgdl))),
  );
  assert.deepEqual(
    meter.map((x) => x.cells[2]),
    [...charts.meter24h].sort((a, b) => a.atMs - b.atMs).map((s) => String(Math.round(s.mgdl))),
  );
  const times = r.map((x) => Number(/data-t="(\d+)"/.exec(x.attrs)![1]));
  assert.deepEqual(
    times,
    [...times].sort((a, b) => a - b),
  );
  // The time column is the local clock of the chart's time zone.
  const first = inTime[0]!.atMs;
  const local = new Intl.DateTimeFormat('en-GB', {
    timeZone: TZ,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  assert.ok(cgm[0]!.cells[0]!.endsWith(local.format(first)), cgm[0]!.cells[0]);
});

test('AGP table: one row per bin with its count and the five percentiles the bands and median draw', () => {
  const { agp } = charts;
  const table = agpChartTable(agp, EN);
  const r = rows(table);
  assert.equal(r.length, agp.bins.length);
  assert.equal(r.length, 96);
  agp.bins.forEach((b, i) => {
    const round = (v: number | null) => (v === null ? '—' : String(Math.round(v)));
    assert.deepEqual(r[i]!.cells.slice(1), [
      String(b.count),
      ...[b.p5, b.p25, b.p50, b.p75, b.p95].map(round),
    ]);
  });
  assert.equal(r[0]!.cells[0], '00:00–00:15');
  const medianPoints = [...renderAgpChart(agp).matchAll(/class="agp-median"[^>]*points="([^"]+)"/g)].flatMap(
    (m) => m[1]!.trim().split(/\s+/),
  );
  assert.equal(medianPoints.length, agp.bins.filter((b) => b.p50 !== null).length);
});

test('the status page shows each chart with its table below it, and reloads only when asked', () => {
  const status = collectStatus({ config: fx.config, store: fx.store, probes: null }, fx.nowMs, charts);
  const page = renderStatusPage(status, charts, TZ);
  assert.match(page, /<svg class="chart chart-24h"[\s\S]*?<\/svg>\n<details class="chart-values">/);
  assert.match(page, /<svg class="chart chart-agp"[\s\S]*?<\/svg>\n<details class="chart-values">/);
  assert.doesNotMatch(page, /http-equiv="refresh"/);
  assert.match(
    renderStatusPage(status, charts, TZ, { refreshSeconds: 60 }),
    /http-equiv="refresh" content="60"/,
  );
});
