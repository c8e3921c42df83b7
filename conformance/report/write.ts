// Writes the three reports of a run into one folder: report.xml (JUnit), report.html and report.json. The JSON
// is the report itself with evidence masked and cut (more of it than the HTML page shows) and without the list
// of secrets, which only the writers see.
import fs from 'node:fs';
import path from 'node:path';
import type { Report } from '../suite/run.ts';
import { htmlReport } from './html.ts';
import { junitXml } from './junit.ts';
import { Masker } from './mask.ts';

export const JSON_MAX_EXCHANGES = 20;
export const JSON_MAX_BODY = 20_000;

export interface ReportFiles {
  junit: string;
  html: string;
  json: string;
}

export function jsonReport(report: Report): string {
  const mask = new Masker(report.secrets);
  const { secrets: _secrets, ...rest } = report;
  const results = report.results.map((r) => ({
    ...r,
    detail: mask.text(r.detail),
    evidence: r.evidence.slice(0, JSON_MAX_EXCHANGES).map((e) => mask.exchange(e, JSON_MAX_BODY)),
    evidenceOmitted: Math.max(0, r.evidence.length - JSON_MAX_EXCHANGES),
  }));
  return `${JSON.stringify({ ...rest, results }, null, 2)}\n`;
}

export function writeReports(report: Report, dir: string): ReportFiles {
  fs.mkdirSync(dir, { recursive: true });
  const files: ReportFiles = {
    junit: path.join(dir, 'report.xml'),
    html: path.join(dir, 'report.html'),
    json: path.join(dir, 'report.json'),
  };
  fs.writeFileSync(files.junit, junitXml(report));
  fs.writeFileSync(files.html, htmlReport(report));
  fs.writeFileSync(files.json, jsonReport(report));
  return files;
}
