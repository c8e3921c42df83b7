// Patient pages (server-rendered, German or English: server/shared/i18n.ts) as one fastify plugin under /account: login with password and
// TOTP (and TOTP enrolment after a reset), the consent page of an authorization, the patient's pairings with
// revoke buttons, and their privacy audit trail. No patient data is shown before login. Every form carries a
// CSRF token (@fastify/csrf-protection, secret in a signed SameSite=Strict cookie), checked before the
// form's schema; every error is an HTML error page.
import fastifyCsrf from '@fastify/csrf-protection';
import type { FastifyInstance } from 'fastify';
import { dummyPasswordHasher, prepareTotpSecrets } from './accounts.ts';
import { consentForm, consentSubmit } from './consent.ts';
import { sendError, sendHtml } from './flow.ts';
import { html, page } from '../shared/html.ts';
import { rememberLanguage, uiOf, type Ui } from '../shared/i18n.ts';
import { maintenanceMessage } from '../service/maintenance-board.ts';
import type { MaintenanceWindow } from '../../gateway/store/maintenance.ts';
import { NO_INPUT } from '../shared/route-schema.ts';
import { accountHome, loginForm, loginSubmit } from './login.ts';
import { auditPage, logout, pairingsPage, revokeAll, revokeOne } from './pairings.ts';
import { devicesPage, READINGS_SCHEMA, readingsPage, type ReadingsQuery } from './readings.ts';
import { exportBundle, exportCsv, exportPage, reportPdf } from './exports.ts';
import { SCHEMAS, type CodeForm, type ConsentForm, type LoginForm, type RevokeForm } from './schemas.ts';
import { enrolForm, enrolSubmit, totpForm, totpSubmit } from './totp.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The hash unknown usernames are verified against (server/pages/accounts.ts). */
    dummyPasswordHash(): Promise<string>;
  }
}

const CSRF_COOKIE = '__Host-hddt_csrf';

export async function pageRoutes(app: FastifyInstance): Promise<void> {
  prepareTotpSecrets(app.services.store, app.services.logger);
  app.decorate('dummyPasswordHash', dummyPasswordHasher());

  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: CSRF_COOKIE,
    cookieOpts: { path: '/', secure: true, httpOnly: true, sameSite: 'strict', signed: true },
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (err.code === 'FST_CSRF_MISSING_SECRET' || err.code === 'FST_CSRF_INVALID_TOKEN') {
      return sendError(reply, 403, 'csrf_invalid', 'error.csrf');
    }
    if (err.statusCode === 429) return reply.send(err);
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return sendError(reply, err.statusCode, 'invalid_request', 'error.invalidRequest');
    }
    req.log.error({ err }, 'patient page failed');
    return sendError(reply, 500, 'server_error', 'error.server');
  });

  // An address below /account that is no page is a page too (a patient may have typed it).
  app.setNotFoundHandler((req, reply) => sendHtml(reply, 404, notFoundPage(uiOf(req))));

  // `?lang=` sets the language cookie (the switch of the layout). During maintenance every page says so (503 with Retry-After) instead of failing somewhere in a flow.
  app.addHook('onRequest', async (req, reply) => {
    rememberLanguage(req, reply);
    const { maintenance } = app.services;
    const w = maintenance.active('account');
    if (w) {
      reply.header('retry-after', String(maintenance.retryAfterSeconds(w)));
      return sendHtml(reply, 503, maintenancePage(uiOf(req), w));
    }
  });

  // The CSRF token is checked before the form is validated: a forged post learns nothing about its fields.
  const form = (schema: object) => ({ preValidation: app.csrfProtection, schema });

  app.get('/', { schema: NO_INPUT }, accountHome);
  app.get('/login', { schema: SCHEMAS.txQuery }, loginForm);
  app.post<{ Body: LoginForm }>('/login', form(SCHEMAS.login), loginSubmit);
  app.get('/login/totp', { schema: SCHEMAS.txQuery }, totpForm);
  app.post<{ Body: CodeForm }>('/login/totp', form(SCHEMAS.code), totpSubmit);
  // TOTP enrolment (after `patient reset-2fa`)
  app.get('/enroll', { schema: SCHEMAS.txQuery }, enrolForm);
  app.post<{ Body: CodeForm }>('/enroll', form(SCHEMAS.code), enrolSubmit);
  app.get('/consent', { schema: SCHEMAS.txQuery }, consentForm);
  app.post<{ Body: ConsentForm }>('/consent', form(SCHEMAS.consent), consentSubmit);
  app.get('/pairings', { schema: NO_INPUT }, pairingsPage);
  app.post('/pairings/revoke-all', form(SCHEMAS.csrfOnly), revokeAll);
  app.post<{ Body: RevokeForm }>('/pairings/revoke', form(SCHEMAS.revoke), revokeOne);
  app.get('/audit', { schema: NO_INPUT }, auditPage);
  app.get<{ Querystring: ReadingsQuery }>('/readings', { schema: READINGS_SCHEMA }, readingsPage);
  app.get('/devices', { schema: NO_INPUT }, devicesPage);
  // Downloads answer no HEAD: it would count as an export in the privacy trail without one.
  const DOWNLOAD = { schema: NO_INPUT, exposeHeadRoute: false };
  app.get('/export', { schema: NO_INPUT }, exportPage);
  app.get('/export.csv', DOWNLOAD, exportCsv);
  app.get('/export.json', DOWNLOAD, exportBundle);
  app.get('/report.pdf', DOWNLOAD, reportPdf);
  app.post('/logout', form(SCHEMAS.csrfOnly), logout);
}

function notFoundPage(ui: Ui): string {
  const { t } = ui;
  return page(
    ui,
    t('notFound.title'),
    html`<p class="error" data-error="not_found">${t('notFound.text')}</p>
      <p><a href="/account/">${t('notFound.back')}</a></p>`,
  );
}

function maintenancePage(ui: Ui, w: MaintenanceWindow): string {
  const { t } = ui;
  const text =
    w.endMs === null
      ? t('maintenance.text')
      : t('maintenance.textUntil', {
          until: new Date(w.endMs).toLocaleString(ui.locale, { timeZone: 'UTC' }),
        });
  return page(
    ui,
    t('maintenance.title'),
    html`<p class="error" data-error="maintenance">${text}</p>
      <p lang="en">${maintenanceMessage(w)}</p>`,
  );
}
