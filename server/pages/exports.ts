// The logged-in patient downloads their own data (GDPR Art. 15/20): readings as CSV, the FHIR resources their
// devices recorded as a Bundle, an AGP report as PDF. Each download is an entry of the privacy trail (reason:
// the format); without a logged-in session each sends the browser to the login form like every account page.
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { appendPrivacyEvent, patientRef } from '../audit/privacy-trail.ts';
import { getPatient } from '../../gateway/store/patients.ts';
import { agpReportData } from '../export/agp-report.ts';
import { patientBundle } from '../export/fhir-bundle.ts';
import { readingsCsv } from '../export/readings-csv.ts';
import { renderReportPdf } from '../export/report-pdf.ts';
import { fhirBaseUrl } from '../shared/fhir-settings.ts';
import { html, page } from '../shared/html.ts';
import { authenticated, nowMs, sendHtml, toLogin } from './flow.ts';
import { uiOf } from '../shared/i18n.ts';

export type ExportFormat = 'csv' | 'fhir' | 'pdf';

function recordExport(req: FastifyRequest, patientId: string, format: ExportFormat): void {
  const { store } = req.server.services;
  appendPrivacyEvent(store, {
    event: 'export',
    outcome: 'success',
    atMs: nowMs(req),
    patientRef: patientRef(store, patientId),
    reason: format,
  });
}

/** A file download: never cached (personal data), named without anything about the patient. */
export function attachment(reply: FastifyReply, type: string, name: string): FastifyReply {
  return reply
    .code(200)
    .header('cache-control', 'no-store')
    .header('content-disposition', `attachment; filename="${name}"`)
    .header('x-content-type-options', 'nosniff')
    .type(type);
}

function fileName(req: FastifyRequest, kind: string, ext: string): string {
  return `glucose-${kind}-${new Date(nowMs(req)).toISOString().slice(0, 10)}.${ext}`;
}

export async function exportCsv(req: FastifyRequest, reply: FastifyReply) {
  const session = authenticated(req);
  if (!session) return toLogin(reply);
  const patientId = session.patient_id!;
  const { store, config } = req.server.services;
  recordExport(req, patientId, 'csv');
  const body = Readable.from(readingsCsv(store, patientId, config.timezone), { objectMode: false });
  return attachment(reply, 'text/csv; charset=utf-8', fileName(req, 'readings', 'csv')).send(body);
}

export async function exportBundle(req: FastifyRequest, reply: FastifyReply) {
  const session = authenticated(req);
  if (!session) return toLogin(reply);
  const patientId = session.patient_id!;
  const { store, config } = req.server.services;
  recordExport(req, patientId, 'fhir');
  const chunks = patientBundle(store, patientId, { baseUrl: fhirBaseUrl(config), nowMs: nowMs(req) });
  const body = Readable.from(chunks, { objectMode: false });
  return attachment(reply, 'application/fhir+json; charset=utf-8', fileName(req, 'fhir', 'json')).send(body);
}

export async function reportPdf(req: FastifyRequest, reply: FastifyReply) {
  const session = authenticated(req);
  if (!session) return toLogin(reply);
  const patientId = session.patient_id!;
  const { store, config } = req.server.services;
  const t = nowMs(req);
  const data = agpReportData(store, patientId, t, config.timezone);
  const pdf = await renderReportPdf(data, getPatient(store, patientId)?.username ?? '', t);
  recordExport(req, patientId, 'pdf');
  return attachment(reply, 'application/pdf', fileName(req, 'agp-report', 'pdf')).send(pdf);
}

/** The page that offers the three downloads. */
export async function exportPage(req: FastifyRequest, reply: FastifyReply) {
  if (!authenticated(req)) return toLogin(reply);
  const ui = uiOf(req);
  const { t } = ui;
  const end = t('export.introEnd');
  const body = html`<p>
      ${t('export.intro')}
      <a href="/account/audit">${t('export.introLink')}</a>${end === '.' ? '' : ' '}${end}
    </p>
    <ul>
      <li><a href="/account/export.csv" download>${t('export.csv')}</a>: ${t('export.csvNote')}</li>
      <li><a href="/account/export.json" download>${t('export.fhir')}</a>: ${t('export.fhirNote')}</li>
      <li><a href="/account/report.pdf" download>${t('export.pdf')}</a>: ${t('export.pdfNote')}</li>
    </ul>`;
  return sendHtml(reply, 200, page(ui, t('export.title'), body, { csrf: reply.generateCsrf() }));
}
