// The report as one self-contained HTML page (no scripts, no external files): the verdict, the counts, and one
// row per check with its requirement, the section of the HDDT reference (hddt.md) it comes from, MUST/SHOULD,
// the result and why, and the HTTP exchanges that prove it, secrets masked.
import { SECTIONS, type Exchange } from '../check.ts';
import type { Report, ReportedCheck } from '../suite/run.ts';
import { Masker } from './mask.ts';
import { esc } from './xml.ts';

/** Exchanges shown per check and characters per body (the JSON report keeps more). */
export const HTML_MAX_EXCHANGES = 4;
export const HTML_MAX_BODY = 4000;

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em;margin:0 0 .3em}
.verdict{font-size:1.1em;font-weight:600;padding:.5em .8em;border-radius:4px;display:inline-block}
.verdict.ok{background:#dcf5dc}.verdict.bad{background:#fadada}
table{border-collapse:collapse;width:100%;margin-top:1em}
th,td{border:1px solid #ccc;padding:.3em .5em;vertical-align:top;text-align:left}
th{background:#f0f0f0;position:sticky;top:0}
table.summary{width:auto}
table.checks{table-layout:fixed}
.id code{word-break:break-all}
td.status{font-weight:600;white-space:nowrap}
tr.pass td.status{color:#17661a}tr.fail td.status{color:#a11}tr.skip td.status{color:#777}
tr.fail.MUST{background:#fff0f0}
tr.evidence td{border-top:none;padding-top:0}
code,pre{font:12px/1.35 ui-monospace,monospace}
pre{white-space:pre-wrap;word-break:break-all;background:#f7f7f7;padding:.4em;margin:.3em 0;max-height:24em;overflow:auto}
details summary{cursor:pointer;color:#225}
`;

function pre(lines: string[], body: string | undefined): string {
  const text = body ? `${lines.join('\n')}\n\n${body}` : lines.join('\n');
  return `<pre>${esc(text)}</pre>`;
}

function headerLines(h: Record<string, string>): string[] {
  return Object.entries(h).map(([k, v]) => `${k}: ${v}`);
}

function exchangeHtml(e: Exchange): string {
  const req = pre(
    [
      `${e.request.method} ${e.request.url}`,
      `(client certificate: ${e.request.identity})`,
      ...headerLines(e.request.headers),
    ],
    e.request.body,
  );
  const res = e.response
    ? pre(
        [`HTTP ${e.response.status} (${e.durationMs} ms)`, ...headerLines(e.response.headers)],
        e.response.body,
      )
    : pre([`no HTTP answer: ${e.error ?? 'unknown error'}`], undefined);
  return `<div class="exchange">${req}${res}</div>`;
}

function evidenceHtml(r: ReportedCheck, mask: Masker): string {
  if (r.evidence.length === 0) return '';
  const shown = r.evidence
    .slice(0, HTML_MAX_EXCHANGES)
    .map((e) => exchangeHtml(mask.exchange(e, HTML_MAX_BODY)));
  const more = r.evidence.length - HTML_MAX_EXCHANGES;
  const note = more > 0 ? `<p>${more} more exchange(s) in the JSON report.</p>` : '';
  const n = r.evidence.length;
  return `<details><summary>${n} exchange${n === 1 ? '' : 's'}</summary>${shown.join('')}${note}</details>`;
}

function row(r: ReportedCheck, i: number, mask: Masker): string {
  const status = { pass: 'pass', fail: 'FAIL', skip: 'skipped' }[r.status];
  const check =
    `<tr class="check ${r.status} ${r.level}" id="${esc(r.id)}" data-status="${r.status}" data-level="${r.level}">` +
    `<td>${i + 1}</td><td class="id"><code>${esc(r.id)}</code></td><td>${esc(r.requirement)}</td>` +
    `<td>hddt.md §${esc(r.section)} ${esc(SECTIONS[r.section])}</td><td>${r.level}</td>` +
    `<td class="status">${status}</td><td>${esc(mask.text(r.detail))}</td></tr>`;
  // the evidence spans the table's width below its check: requests and answers need the room
  const evidence = evidenceHtml(r, mask);
  return evidence
    ? `${check}\n<tr class="evidence ${r.status}"><td></td><td colspan="6">${evidence}</td></tr>`
    : check;
}

function summaryHtml(report: Report): string {
  const s = report.summary;
  const ok = s.mustFailed === 0;
  const verdict = ok
    ? `Every MUST check that ran passed${s.mustSkipped ? ` (${s.mustSkipped} MUST checks skipped)` : ''}`
    : `${s.mustFailed} MUST check${s.mustFailed === 1 ? '' : 's'} failed`;
  const cells = [
    ['checks', s.total],
    ['passed', s.pass],
    ['failed', s.fail],
    ['skipped', s.skip],
    ['MUST failed', s.mustFailed],
    ['MUST skipped', s.mustSkipped],
  ];
  return (
    `<p class="verdict ${ok ? 'ok' : 'bad'}">${esc(verdict)}</p>` +
    `<table class="summary"><tr>${cells.map(([k]) => `<th>${k}</th>`).join('')}</tr>` +
    `<tr>${cells.map(([, v]) => `<td>${v}</td>`).join('')}</tr></table>`
  );
}

export function htmlReport(report: Report): string {
  const mask = new Masker(report.secrets);
  const t = report.target;
  const title = `HDDT conformance: ${t.base}`;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>${esc(title)}</h1>`,
    `<p>Authorization server <code>${esc(t.base)}</code>, FHIR <code>${esc(t.fhirBase)}</code>, client ` +
      `<code>${esc(t.clientId)}</code>. Started ${esc(report.startedAt)}, ${(report.durationMs / 1000).toFixed(1)} s, ` +
      `${esc(report.kit.name)} ${esc(report.kit.version)}. Sections refer to the HDDT implementation reference ` +
      `hddt.md (gematik HDDT 1.0.1); secrets in the evidence are masked as ***.</p>`,
    summaryHtml(report),
    '<table class="checks"><colgroup><col style="width:3%"><col style="width:15%"><col style="width:29%">' +
      '<col style="width:12%"><col style="width:5%"><col style="width:6%"><col style="width:30%"></colgroup><thead><tr><th>#</th><th>Check</th><th>Requirement</th><th>Spec section</th>' +
      '<th>Level</th><th>Result</th><th>Why</th></tr></thead><tbody>',
    ...report.results.map((r, i) => row(r, i, mask)),
    '</tbody></table></body></html>',
    '',
  ].join('\n');
}
