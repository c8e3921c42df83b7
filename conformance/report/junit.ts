// JUnit XML for CI: one testsuite per group, one testcase per check named "<id> [MUST|SHOULD]". A failed check
// is a <failure> whose type is its level (CI shows SHOULD failures too; the exit code counts MUST only), a
// skipped one <skipped> with the reason. Evidence stays in the HTML and JSON reports.
import { SECTIONS } from '../check.ts';
import type { Report, ReportedCheck } from '../suite/run.ts';
import { Masker } from './mask.ts';
import { esc } from './xml.ts';

const seconds = (ms: number) => (ms / 1000).toFixed(3);

function testcase(r: ReportedCheck, mask: Masker): string {
  const detail = mask.text(r.detail);
  const head =
    `    <testcase classname="hddt.${esc(r.group)}" name="${esc(`${r.id} [${r.level}]`)}" ` +
    `time="${seconds(r.durationMs)}">`;
  const props =
    `      <properties><property name="level" value="${r.level}"/>` +
    `<property name="section" value="${esc(`§${r.section} ${SECTIONS[r.section]}`)}"/>` +
    `<property name="requirement" value="${esc(r.requirement)}"/></properties>`;
  const outcome =
    r.status === 'fail'
      ? `      <failure type="${r.level}" message="${esc(detail)}">${esc(`${r.requirement}\n${detail}`)}</failure>`
      : r.status === 'skip'
        ? `      <skipped message="${esc(detail)}"/>`
        : `      <system-out>${esc(detail)}</system-out>`;
  return [head, props, outcome, '    </testcase>'].join('\n');
}

export function junitXml(report: Report): string {
  const mask = new Masker(report.secrets);
  const byGroup = new Map<string, ReportedCheck[]>();
  for (const r of report.results) byGroup.set(r.group, [...(byGroup.get(r.group) ?? []), r]);
  const suites = [...byGroup].map(([group, rs]) => {
    const n = (s: string) => rs.filter((r) => r.status === s).length;
    const time = rs.reduce((t, r) => t + r.durationMs, 0);
    return [
      `  <testsuite name="${esc(group)}" tests="${rs.length}" failures="${n('fail')}" errors="0" ` +
        `skipped="${n('skip')}" time="${seconds(time)}" timestamp="${esc(report.startedAt)}">`,
      ...rs.map((r) => testcase(r, mask)),
      '  </testsuite>',
    ].join('\n');
  });
  const s = report.summary;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${esc(`${report.kit.name} against ${report.target.base}`)}" tests="${s.total}" ` +
      `failures="${s.fail}" errors="0" skipped="${s.skip}" time="${seconds(report.durationMs)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
