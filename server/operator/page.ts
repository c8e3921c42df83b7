// The status page: server-rendered HTML with inline SVG charts (each with its values as a table), no client
// script. It does not reload itself (WCAG 2.2.1: a timed refresh the reader cannot stop); a "Reload" link
// does, and `refreshSeconds` asks for a meta refresh. Shows devices and sync state only; nothing identifies a
// patient. Texts in German (default) or English: server/shared/i18n.ts, under `operator`.
import { formatBytes, formatDuration, formatPercent, formatReading } from './format.ts';
import type { GlucoseCharts, StatusSnapshot } from './status.ts';
import { agpChartTable, dayChartTable } from './chart-tables.ts';
import { renderAgpChart, renderDayChart } from './svg.ts';
import { LANGUAGE_NAME } from '../shared/html.ts';
import { LANGUAGES, translatorFor, withLang, type Translator } from '../shared/i18n.ts';

/** "vor 5 min" / "in 3 d 2 h". */
function ago(tr: Translator, seconds: number): string {
  return seconds >= 0
    ? tr.t('operator.ago', { d: formatDuration(seconds) })
    : tr.t('operator.inFuture', { d: formatDuration(-seconds) });
}

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
header h1{font-size:18px;margin:0}header .ok{color:#6fdd8b}header .bad{color:#ffa198}header a{color:#fff}header nav{display:inline}
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

function deviceRows(tr: Translator, s: StatusSnapshot): string {
  const { t } = tr;
  if (s.devices.length === 0)
    return `<tr><td colspan="7" class="muted">${e(t('operator.devices.none'))}</td></tr>`;
  return s.devices
    .map((d) => {
      const conn =
        d.connection === null
          ? '<span class="muted">—</span>'
          : `<span class="pill ${d.connection === 'syncing' ? 'ok' : ''}">${e(d.connection)}</span>`;
      const outcome = d.lastOutcome
        ? `<br><span class="${d.lastOutcome === 'synced' || d.lastOutcome === 'disconnected' ? 'muted' : 'bad'}">${e(t('operator.devices.last', { outcome: d.lastOutcome }))}</span>`
        : '';
      const last = d.lastReading
        ? `${e(formatReading(d.lastReading))}<br><span class="${d.lastReading.ageSeconds > 900 ? 'warn' : 'muted'}">${e(ago(tr, d.lastReading.ageSeconds))}</span>`
        : `<span class="muted">${e(t('operator.none'))}</span>`;
      const session = d.session
        ? `${e(t('operator.devices.started', { at: d.session.startedAt.slice(0, 16).replace('T', ' ') }))}<br>` +
          (d.session.expiresInSeconds === null
            ? `<span class="muted">${e(t('operator.devices.noExpiry'))}</span>`
            : d.session.expired
              ? `<span class="bad">${e(t('operator.devices.expired', { ago: ago(tr, d.session.expiresInSeconds * -1) }))}</span>`
              : `<span class="${d.session.expiresInSeconds < 86_400 ? 'warn' : 'ok'}">${e(t('operator.devices.expires', { ago: ago(tr, d.session.expiresInSeconds * -1) }))}</span>`)
        : '<span class="muted">—</span>';
      const flags = [
        d.lastReading?.flag
          ? `${d.lastReading.flag}${d.lastReading.flagReason ? `: ${d.lastReading.flagReason}` : ''}`
          : null,
        d.rejected ? t('operator.devices.rejected', { n: d.rejected }) : null,
      ].filter((x): x is string => x !== null);
      return `<tr class="device" data-key="${e(d.key)}">
<td><code>${e(d.key)}</code><br><span class="muted">${e(d.kind.toUpperCase())} · ${e([d.manufacturer, d.model].filter(Boolean).join(' ') || d.transport)}</span></td>
<td>${e(d.serialNumber)}</td><td>${conn}${outcome}</td><td>${last}</td><td>${session}</td>
<td>${e(d.readingsStored)}</td><td>${flags.length ? flags.map((f) => `<span class="warn">${e(f)}</span>`).join('<br>') : '<span class="muted">—</span>'}</td></tr>`;
    })
    .join('\n');
}

function syncSection({ t }: Translator, s: StatusSnapshot): string {
  const y = s.sync;
  const conn = y.connected === null ? 'unknown' : y.connected ? 'connected' : 'disconnected';
  return `<section id="sync" class="${y.alarm.active ? 'alarm' : ''}"><h2>${e(t('operator.sync.title'))}</h2><dl>
<dt>${e(t('operator.sync.enabled'))}</dt><dd>${e(t(y.enabled ? 'operator.sync.yes' : 'operator.sync.no'))}</dd>
<dt>${e(t('operator.sync.broker'))}</dt><dd class="${y.connected ? 'ok' : y.connected === false ? 'bad' : 'muted'}">${e(t(`operator.sync.${conn}`))}</dd>
<dt>${e(t('operator.sync.backlog'))}</dt><dd id="outbox-depth">${e(t('operator.sync.backlogValue', { entries: y.entries, unsent: y.unsent }))}</dd>
<dt>${e(t('operator.sync.oldest'))}</dt><dd>${y.oldestAgeSeconds === null ? '—' : e(formatDuration(y.oldestAgeSeconds))}</dd>
<dt>${e(t('operator.sync.alarm'))}</dt><dd id="sync-alarm" class="${y.alarm.active ? 'bad' : 'ok'}">${y.alarm.active ? e(y.alarm.reason) : e(t('operator.none'))}</dd>
</dl></section>`;
}

function hubClockText({ t }: Translator, s: StatusSnapshot): string {
  const c = s.hubClock;
  if (!c) return `<span class="muted">${e(t('operator.clock.notChecked'))}</span>`;
  if (c.synchronized)
    return `<span class="ok">${e(t('operator.clock.synchronized'))}</span> (${e(c.source)})`;
  const why = c.detail ? `: ${e(c.detail)}` : '';
  return `<span class="bad">${e(t('operator.clock.notSynchronized'))}</span> (${e(c.source)}${why}) · ${e(t('operator.clock.heldBack'))}`;
}

function eventsSection({ t }: Translator, s: StatusSnapshot): string {
  const rows = s.recentEvents.length
    ? s.recentEvents
        .map(
          (ev) =>
            `<tr><td>${e(ev.at.slice(0, 19).replace('T', ' '))}</td><td class="${ev.level === 'warn' ? 'warn' : 'bad'}">${e(ev.level)}</td><td>${e(ev.component)}</td><td>${e(ev.message)}</td></tr>`,
        )
        .join('\n')
    : `<tr><td colspan="4" class="muted">${e(t(s.source === 'live' ? 'operator.events.noneLive' : 'operator.events.offline'))}</td></tr>`;
  const head = (['time', 'level', 'part', 'message'] as const)
    .map((k) => `<th>${e(t(`operator.events.head.${k}`))}</th>`)
    .join('');
  return `<section id="events"><h2>${e(t('operator.events.title'))}</h2><table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table></section>`;
}

export interface PageOptions {
  /** Show a logout button (operator login is on). */
  loggedIn?: { csrfToken: string };
  /** Reload the page by itself every so many seconds (off by default: WCAG 2.2.1). */
  refreshSeconds?: number;
  /** The language (German when not given). */
  tr?: Translator;
}

function overviewSection(tr: Translator, s: StatusSnapshot): string {
  const { t } = tr;
  const parts = s.parts
    .map((p) => {
      const state = !p.enabled ? 'off' : p.running === null ? 'on' : p.running ? 'running' : 'notRunning';
      const cls = !p.enabled ? 'muted' : p.running === false ? 'bad' : 'ok';
      return `<span class="pill ${cls}">${e(p.name)}: ${e(t(`operator.part.${state}`))}</span>`;
    })
    .join(' ');
  const o = (k: 'parts' | 'database' | 'hubClock' | 'pairings' | 'generated') =>
    e(t(`operator.overview.${k}`));
  const pairings = t('operator.overview.pairingsValue', {
    active: s.pairings.active,
    total: s.pairings.total,
  });
  return `<section id="overview"><h2>${e(t('operator.overview.title'))}</h2><dl>
<dt>${o('parts')}</dt><dd>${parts}</dd>
<dt>${o('database')}</dt><dd>${e(s.store.file)} · ${e(formatBytes(s.store.bytes))} (WAL ${e(formatBytes(s.store.walBytes))})</dd>
<dt>${o('hubClock')}</dt><dd id="hub-clock">${hubClockText(tr, s)}</dd>
<dt>${o('pairings')}</dt><dd id="pairings">${e(pairings)}</dd>
<dt>${o('generated')}</dt><dd>${e(s.generatedAt)}</dd>
</dl></section>`;
}

const DEVICE_HEAD = ['device', 'serial', 'connection', 'lastReading', 'session', 'stored', 'status'] as const;

function chartSections(tr: Translator, s: StatusSnapshot, charts: GlucoseCharts, timeZone: string): string {
  const { t } = tr;
  const tir = s.glucose.agp14d.timeInRange;
  const day = {
    cgm: charts.cgm24h,
    meter: charts.meter24h,
    fromMs: charts.fromMs,
    toMs: charts.toMs,
    timeZone,
  };
  const daySummary = t('operator.charts.daySummary', {
    cgm: s.glucose.last24h.cgmSamples,
    meter: s.glucose.last24h.meterReadings,
    tz: timeZone,
  });
  const shares = tir
    ? t('operator.charts.tir', {
        below: formatPercent(tir.below),
        within: formatPercent(tir.within),
        above: formatPercent(tir.above),
      })
    : t('operator.charts.noData');
  return `<section id="chart-24h"><h2>${e(t('operator.charts.day'))}</h2>
<p class="muted">${e(daySummary)}</p>
${renderDayChart(day, undefined, t('operator.charts.dayLabel'))}
${dayChartTable(day, tr)}
</section>
<section id="agp"><h2>${e(t('operator.charts.agp'))}</h2>
<p class="muted">${e(t('operator.charts.agpSummary', { n: s.glucose.agp14d.samples }))} · ${e(shares)}</p>
${renderAgpChart(charts.agp, undefined, t('operator.charts.agpLabel'))}
${agpChartTable(charts.agp, tr)}
</section>`;
}

export function renderStatusPage(
  s: StatusSnapshot,
  charts: GlucoseCharts,
  timeZone: string,
  opts: PageOptions = {},
): string {
  const tr = opts.tr ?? translatorFor('de');
  const { t } = tr;
  const logout = opts.loggedIn
    ? `<form class="logout" method="post" action="/logout"><input type="hidden" name="_csrf" value="${e(opts.loggedIn.csrfToken)}"><button type="submit">${e(t('operator.logout'))}</button></form>`
    : '';
  const ready = s.ready
    ? `<span class="ok">${e(t('operator.ready'))}</span>`
    : `<span class="bad">${e(t('operator.notReady'))}</span>`;
  const up = t('operator.up', { d: s.uptimeSeconds === null ? '—' : formatDuration(s.uptimeSeconds) });
  const head = DEVICE_HEAD.map((k) => `<th>${e(t(`operator.devices.head.${k}`))}</th>`).join('');
  return `<!doctype html>
<html lang="${tr.lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
${opts.refreshSeconds ? `<meta http-equiv="refresh" content="${opts.refreshSeconds}">\n` : ''}<title>${e(t('operator.title', { id: s.gatewayId }))}</title><style>${STYLE}</style></head>
<body><header><h1>hddt-gateway <code>${e(s.gatewayId)}</code></h1><div>${ready} · ${e(up)} · <a href="/">${e(t('operator.reload'))}</a> · ${languageLinks(tr, '/')}</div>${logout}</header>
<main>
${overviewSection(tr, s)}
<section id="devices"><h2>${e(t('operator.devices.title'))}</h2><table><thead><tr>${head}</tr></thead>
<tbody>${deviceRows(tr, s)}</tbody></table></section>
${syncSection(tr, s)}
${chartSections(tr, s, charts, timeZone)}
${eventsSection(tr, s)}
</main></body></html>`;
}

/** Links to the page in each language (plain links: no script). */
function languageLinks(tr: Translator, path: string): string {
  const links = LANGUAGES.map((lang) => {
    const current = lang === tr.lang ? ' aria-current="true"' : '';
    return `<a href="${e(withLang(path, lang))}" hreflang="${lang}" lang="${lang}"${current}>${LANGUAGE_NAME[lang]}</a>`;
  }).join(' · ');
  return `<nav aria-label="${e(tr.t('layout.language'))}" class="languages">${links}</nav>`;
}

export function renderLoginPage(csrfToken: string, error: string | null, tr = translatorFor('de')): string {
  const { t } = tr;
  return `<!doctype html>
<html lang="${tr.lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${e(t('operator.login.title'))}</title><style>${STYLE}</style></head>
<body><header><h1>${e(t('operator.login.heading'))}</h1>${languageLinks(tr, '/login')}</header><main><section>
${error ? `<p class="bad" id="login-error">${e(error)}</p>` : ''}
<form method="post" action="/login">
<input type="hidden" name="_csrf" value="${e(csrfToken)}">
<p><label>${e(t('operator.login.user'))} <input name="username" autocomplete="username" required></label></p>
<p><label>${e(t('operator.login.password'))} <input name="password" type="password" autocomplete="current-password" required></label></p>
<p><button type="submit">${e(t('operator.login.submit'))}</button></p>
</form></section></main></body></html>`;
}
