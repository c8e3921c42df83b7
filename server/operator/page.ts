// The status page: server-rendered HTML with inline SVG charts (each with its values as a table), no client
// script. It does not reload itself (WCAG 2.2.1: a timed refresh the reader cannot stop); a "Reload" link
// does, and `refreshSeconds` asks for a meta refresh. Shows devices and sync state only; nothing identifies a
// patient.
import { formatAgo, formatBytes, formatDuration, formatPercent, formatReading } from './format.ts';
import type { GlucoseCharts, StatusSnapshot } from './status.ts';
import { agpChartTable, dayChartTable } from './chart-tables.ts';
import { renderAgpChart, renderDayChart } from './svg.ts';

export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

const e = (v: string | number | null | undefined) =>
  v === null || v === undefined ? '—' : escapeHtml(String(v));

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1c2430;background:#f5f7fa}
header{background:#1c2430;color:#fff;padding:10px 20px;display:flex;justify-content:space-between;align-items:center}
header h1{font-size:18px;margin:0}header .ok{color:#6fdd8b}header .bad{color:#ffa198}header a{color:#fff}
main{padding:12px 20px;max-width:1100px}
section{background:#fff;border:1px solid #dde3ea;border-radius:6px;padding:10px 14px;margin:0 0 14px}
h2{font-size:15px;margin:0 0 8px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eef1f5;vertical-align:top}
th{font-weight:600;color:#4a5565}
.ok{color:#116329}.warn{color:#7d4e00}.bad{color:#a40e26}.muted{color:#57606a}
.pill{display:inline-block;padding:0 6px;border-radius:8px;background:#eef1f5}
.alarm{background:#ffebe9;border-color:#cf222e}
.chart{max-width:100%;height:auto}
.target-range,.agp-target{fill:#dafbe1}
.grid{stroke:#eef1f5}.tick{font-size:10px;fill:#6e7781}
.cgm-line{stroke:#0969da;stroke-width:1.5}
.bg-dot{fill:#8250df}
.agp-band-5-95{fill:#b6d4fe;opacity:.7}
.agp-band-25-75{fill:#5b9cf5;opacity:.8}
.agp-median{stroke:#0a3069;stroke-width:2}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 14px;margin:0}
dt{color:#4a5565}dd{margin:0}
form.logout{margin:0}
button{font:inherit}
:focus-visible{outline:3px solid #0969da;outline-offset:2px}
.chart-values summary{cursor:pointer;margin:4px 0}
.table-scroll{max-height:24rem;overflow:auto}
caption{text-align:left;font-weight:600;padding:4px 0}
`;

function deviceRows(s: StatusSnapshot): string {
  if (s.devices.length === 0)
    return '<tr><td colspan="7" class="muted">No device has been seen yet.</td></tr>';
  return s.devices
    .map((d) => {
      const conn =
        d.connection === null
          ? '<span class="muted">—</span>'
          : `<span class="pill ${d.connection === 'syncing' ? 'ok' : ''}">${e(d.connection)}</span>`;
      const outcome = d.lastOutcome
        ? `<br><span class="${d.lastOutcome === 'synced' || d.lastOutcome === 'disconnected' ? 'muted' : 'bad'}">last: ${e(d.lastOutcome)}</span>`
        : '';
      const last = d.lastReading
        ? `${e(formatReading(d.lastReading))}<br><span class="${d.lastReading.ageSeconds > 900 ? 'warn' : 'muted'}">${e(formatAgo(d.lastReading.ageSeconds))}</span>`
        : '<span class="muted">none</span>';
      const session = d.session
        ? `started ${e(d.session.startedAt.slice(0, 16).replace('T', ' '))} UTC<br>` +
          (d.session.expiresInSeconds === null
            ? '<span class="muted">no expiry known</span>'
            : d.session.expired
              ? `<span class="bad">expired ${e(formatAgo(d.session.expiresInSeconds * -1))}</span>`
              : `<span class="${d.session.expiresInSeconds < 86_400 ? 'warn' : 'ok'}">expires ${e(formatAgo(d.session.expiresInSeconds * -1))}</span>`)
        : '<span class="muted">—</span>';
      const flags = [
        d.lastReading?.flag
          ? `${d.lastReading.flag}${d.lastReading.flagReason ? `: ${d.lastReading.flagReason}` : ''}`
          : null,
        d.rejected ? `${d.rejected} rejected` : null,
      ].filter((x): x is string => x !== null);
      return `<tr class="device" data-key="${e(d.key)}">
<td><code>${e(d.key)}</code><br><span class="muted">${e(d.kind.toUpperCase())} · ${e([d.manufacturer, d.model].filter(Boolean).join(' ') || d.transport)}</span></td>
<td>${e(d.serialNumber)}</td><td>${conn}${outcome}</td><td>${last}</td><td>${session}</td>
<td>${e(d.readingsStored)}</td><td>${flags.length ? flags.map((f) => `<span class="warn">${e(f)}</span>`).join('<br>') : '<span class="muted">—</span>'}</td></tr>`;
    })
    .join('\n');
}

function syncSection(s: StatusSnapshot): string {
  const y = s.sync;
  const conn = y.connected === null ? 'unknown' : y.connected ? 'connected' : 'disconnected';
  return `<section id="sync" class="${y.alarm.active ? 'alarm' : ''}"><h2>Upward sync (MQTT outbox)</h2><dl>
<dt>enabled</dt><dd>${y.enabled ? 'yes' : 'no'}</dd>
<dt>broker</dt><dd class="${y.connected ? 'ok' : y.connected === false ? 'bad' : 'muted'}">${conn}</dd>
<dt>backlog</dt><dd id="outbox-depth">${e(y.entries)} entries (${e(y.unsent)} unsent)</dd>
<dt>oldest entry</dt><dd>${y.oldestAgeSeconds === null ? '—' : e(formatDuration(y.oldestAgeSeconds))}</dd>
<dt>alarm</dt><dd id="sync-alarm" class="${y.alarm.active ? 'bad' : 'ok'}">${y.alarm.active ? e(y.alarm.reason) : 'none'}</dd>
</dl></section>`;
}

function hubClockText(s: StatusSnapshot): string {
  const c = s.hubClock;
  if (!c) return '<span class="muted">not checked</span>';
  if (c.synchronized) return `<span class="ok">synchronized</span> (${e(c.source)})`;
  const why = c.detail ? `: ${e(c.detail)}` : '';
  return `<span class="bad">not synchronized</span> (${e(c.source)}${why}) · purge by age and CGM session start times are held back`;
}

function eventsSection(s: StatusSnapshot): string {
  const rows = s.recentEvents.length
    ? s.recentEvents
        .map(
          (ev) =>
            `<tr><td>${e(ev.at.slice(0, 19).replace('T', ' '))}</td><td class="${ev.level === 'warn' ? 'warn' : 'bad'}">${e(ev.level)}</td><td>${e(ev.component)}</td><td>${e(ev.message)}</td></tr>`,
        )
        .join('\n')
    : `<tr><td colspan="4" class="muted">${s.source === 'live' ? 'No warnings or errors since start.' : 'Not available without the running gateway.'}</td></tr>`;
  return `<section id="events"><h2>Recent warnings and errors</h2><table><thead><tr><th>time (UTC)</th><th>level</th><th>part</th><th>message</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

export interface PageOptions {
  /** Show a logout button (operator login is on). */
  loggedIn?: { csrfToken: string };
  /** Reload the page by itself every so many seconds (off by default: WCAG 2.2.1). */
  refreshSeconds?: number;
}

export function renderStatusPage(
  s: StatusSnapshot,
  charts: GlucoseCharts,
  timeZone: string,
  opts: PageOptions = {},
): string {
  const tir = s.glucose.agp14d.timeInRange;
  const day = {
    cgm: charts.cgm24h,
    meter: charts.meter24h,
    fromMs: charts.fromMs,
    toMs: charts.toMs,
    timeZone,
  };
  const parts = s.parts
    .map((p) => {
      const state = !p.enabled ? 'off' : p.running === null ? 'on' : p.running ? 'running' : 'not running';
      const cls = !p.enabled ? 'muted' : p.running === false ? 'bad' : 'ok';
      return `<span class="pill ${cls}">${e(p.name)}: ${state}</span>`;
    })
    .join(' ');
  const logout = opts.loggedIn
    ? `<form class="logout" method="post" action="/logout"><input type="hidden" name="_csrf" value="${e(opts.loggedIn.csrfToken)}"><button type="submit">Log out</button></form>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
${opts.refreshSeconds ? `<meta http-equiv="refresh" content="${opts.refreshSeconds}">\n` : ''}<title>hddt-gateway ${e(s.gatewayId)} — status</title><style>${STYLE}</style></head>
<body><header><h1>hddt-gateway <code>${e(s.gatewayId)}</code></h1><div>${s.ready ? '<span class="ok">ready</span>' : '<span class="bad">not ready</span>'} · up ${s.uptimeSeconds === null ? '—' : e(formatDuration(s.uptimeSeconds))} · <a href="/">Reload</a></div>${logout}</header>
<main>
<section id="overview"><h2>Overview</h2><dl>
<dt>parts</dt><dd>${parts}</dd>
<dt>database</dt><dd>${e(s.store.file)} · ${e(formatBytes(s.store.bytes))} (WAL ${e(formatBytes(s.store.walBytes))})</dd>
<dt>hub clock</dt><dd id="hub-clock">${hubClockText(s)}</dd>
<dt>pairings</dt><dd id="pairings">${e(s.pairings.active)} active (${e(s.pairings.total)} in total)</dd>
<dt>generated</dt><dd>${e(s.generatedAt)}</dd>
</dl></section>
<section id="devices"><h2>Devices</h2><table><thead><tr><th>device</th><th>serial</th><th>connection</th><th>last reading</th><th>sensor session</th><th>stored</th><th>status</th></tr></thead>
<tbody>${deviceRows(s)}</tbody></table></section>
${syncSection(s)}
<section id="chart-24h"><h2>Glucose, last 24 hours</h2>
<p class="muted">${e(s.glucose.last24h.cgmSamples)} CGM samples, ${e(s.glucose.last24h.meterReadings)} meter readings · target range 70–180 mg/dL · times in ${e(timeZone)}</p>
${renderDayChart(day)}
${dayChartTable(day)}
</section>
<section id="agp"><h2>Ambulatory glucose profile, 14 days</h2>
<p class="muted">${e(s.glucose.agp14d.samples)} CGM samples · median, 25–75 % and 5–95 % · ${
    tir
      ? `below 70: ${e(formatPercent(tir.below))}, 70–180: ${e(formatPercent(tir.within))}, above 180: ${e(formatPercent(tir.above))}`
      : 'no data'
  }</p>
${renderAgpChart(charts.agp)}
${agpChartTable(charts.agp)}
</section>
${eventsSection(s)}
</main></body></html>`;
}

export function renderLoginPage(csrfToken: string, error: string | null): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>hddt-gateway — operator login</title><style>${STYLE}</style></head>
<body><header><h1>hddt-gateway operator login</h1></header><main><section>
${error ? `<p class="bad" id="login-error">${e(error)}</p>` : ''}
<form method="post" action="/login">
<input type="hidden" name="_csrf" value="${e(csrfToken)}">
<p><label>User <input name="username" autocomplete="username" required></label></p>
<p><label>Password <input name="password" type="password" autocomplete="current-password" required></label></p>
<p><button type="submit">Log in</button></p>
</form></section></main></body></html>`;
}
