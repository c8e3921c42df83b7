// Patient pages (server-rendered, German UI): login with password and TOTP (and TOTP enrolment after a
// reset), the consent page of an authorization, the patient's pairings with revoke buttons, and their
// privacy audit trail. No patient data is shown before login. Every form carries a CSRF token
// (@fastify/csrf-protection, secret in a signed SameSite=Strict cookie).
import fastifyCsrf from '@fastify/csrf-protection';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import { confirmTotpPending, setTotpLastStep, type SessionRow } from '../../gateway/store/oauth-accounts.ts';
import { listPairingsOfPatient } from '../../gateway/store/oauth-grants.ts';
import {
  finishTransaction,
  getTransaction,
  type TransactionRow,
} from '../../gateway/store/oauth-requests.ts';
import { getPatient, getPatientByUsername } from '../../gateway/store/patients.ts';
import type { MivName } from '../../config/types.ts';
import type { ServerServices } from '../services.ts';
import { appendPrivacyEvent, patientRef, privacyEventsOfPatient } from '../audit/privacy-trail.ts';
import { lookupClient } from '../oauth/client-auth.ts';
import type { DirectoryEntry } from '../oauth/directory.ts';
import { OAuthError } from '../oauth/errors.ts';
import { authorize, unpair, unpairPatient } from '../oauth/pairing.ts';
import { formatScope, MIV_LABEL, MIV_SCOPE, mivOfScope, parseScope } from '../oauth/scopes.ts';
import { hashSecret } from '../oauth/secrets.ts';
import {
  checkPatientTotp,
  dummyPasswordHash,
  enrolmentSecret,
  getCredentials,
  isLocked,
  prepareTotpSecrets,
  registerFailure,
  registerSuccess,
  totpUri,
  verifyPassword,
} from './accounts.ts';
import { errorPage, html, Html, page } from './html.ts';
import { currentSession, elevateSession, endSession, ensureSession } from './session.ts';

export interface PageRoutesOptions {
  services: ServerServices;
}

type Form = Record<string, string | string[] | undefined>;

const CSRF_COOKIE = '__Host-hddt_csrf';

function field(body: unknown, name: string): string | undefined {
  const v = (body as Form | undefined)?.[name];
  return typeof v === 'string' ? v : undefined;
}

function fields(body: unknown, name: string): string[] {
  const v = (body as Form | undefined)?.[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function sendHtml(reply: FastifyReply, status: number, body: string) {
  return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(body);
}

function txQuery(tx: string | undefined): string {
  return tx ? `?tx=${encodeURIComponent(tx)}` : '';
}

function hidden(name: string, value: string | undefined): Html {
  return value === undefined ? html`` : html`<input type="hidden" name="${name}" value="${value}" />`;
}

function formatDate(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

const EVENT_LABEL: Record<string, string> = {
  pairing: 'Kopplung',
  pairing_failed: 'Kopplung fehlgeschlagen',
  unpairing: 'Entkopplung',
  unpairing_failed: 'Entkopplung fehlgeschlagen',
  unauthorized_access: 'Unberechtigter Zugriffsversuch',
  login: 'Anmeldung',
  login_failed: 'Anmeldung fehlgeschlagen',
};

/** Why a pairing ended, in the patient's words (keys: UnpairReason of server/oauth/pairing.ts). */
const END_REASON_LABEL: Record<string, string> = {
  consent_expired: 'Einwilligung abgelaufen',
  diga_removed: 'App nicht mehr im DiGA-Verzeichnis eingetragen',
  diga_retired: 'App nicht mehr zugelassen (im DiGA-Verzeichnis außer Betrieb)',
  patient_revoked: 'von Ihnen widerrufen',
  patient_withdrew_all: 'von Ihnen widerrufen (alle Einwilligungen)',
  client_revoked: 'von der App beendet',
  refresh_token_reuse: 'aus Sicherheitsgründen beendet (Zugangsschlüssel mehrfach verwendet)',
  code_reuse: 'aus Sicherheitsgründen beendet (Anmeldecode mehrfach verwendet)',
  patient_removed: 'Konto entfernt',
};

export async function pageRoutes(app: FastifyInstance, opts: PageRoutesOptions): Promise<void> {
  const { services } = opts;
  const { store } = services;
  const now = () => services.clock.now().getTime();
  const policy = services.config.server.login;
  prepareTotpSecrets(store, services.logger);

  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: CSRF_COOKIE,
    cookieOpts: { path: '/', secure: true, httpOnly: true, sameSite: 'strict', signed: true },
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (err.code === 'FST_CSRF_MISSING_SECRET' || err.code === 'FST_CSRF_INVALID_TOKEN') {
      return sendHtml(
        reply,
        403,
        errorPage('csrf_invalid', 'Das Formular ist abgelaufen. Bitte laden Sie die Seite neu.'),
      );
    }
    if (err.statusCode === 429) return reply.send(err);
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return sendHtml(reply, err.statusCode, errorPage('invalid_request', 'Ungültige Anfrage.'));
    }
    req.log.error({ err }, 'patient page failed');
    return sendHtml(reply, 500, errorPage('server_error', 'Interner Fehler.'));
  });

  const protect = { preHandler: app.csrfProtection };

  /** The authorization transaction of this session named by `tx`, if still open. */
  function loadTx(session: SessionRow | undefined, tx: string | undefined): TransactionRow | undefined {
    if (!session || !tx || tx.length > 100) return undefined;
    const row = getTransaction(store, hashSecret(tx));
    if (!row || row.session_id !== session.id || row.done_ms !== null || row.expires_ms <= now())
      return undefined;
    return row;
  }

  const txExpired = (reply: FastifyReply) =>
    sendHtml(
      reply,
      400,
      errorPage(
        'invalid_request',
        'Diese Kopplungsanfrage ist abgelaufen oder gehört nicht zu dieser Sitzung.',
      ),
    );

  function afterLogin(reply: FastifyReply, tx: string | undefined) {
    return reply.redirect(tx ? `/account/consent${txQuery(tx)}` : '/account/pairings', 303);
  }

  function authenticated(req: FastifyRequest): SessionRow | undefined {
    const s = currentSession(services, req);
    return s && s.stage === 'authenticated' && s.patient_id ? s : undefined;
  }

  // ---- login: password ----------------------------------------------------------------------------
  function loginPage(reply: FastifyReply, status: number, tx: string | undefined, message?: string) {
    const csrf = reply.generateCsrf();
    return sendHtml(
      reply,
      status,
      page(
        'Anmeldung',
        html`${message ? html`<p class="error" data-error="login_failed">${message}</p>` : html``}
          <form method="post" action="/account/login">
            <input type="hidden" name="_csrf" value="${csrf}" />${hidden('tx', tx)}
            <label>Benutzername <input type="text" name="username" autocomplete="username" required /></label>
            <label
              >Passwort <input type="password" name="password" autocomplete="current-password" required
            /></label>
            <button type="submit">Weiter</button>
          </form>`,
      ),
    );
  }

  app.get('/', async (req, reply) =>
    reply.redirect(authenticated(req) ? '/account/pairings' : '/account/login', 303),
  );

  app.get('/login', async (req, reply) => {
    const tx = (req.query as Form).tx as string | undefined;
    const session = ensureSession(services, req, reply);
    if (tx && !loadTx(session, tx)) return txExpired(reply);
    if (session.stage === 'authenticated') return afterLogin(reply, tx);
    return loginPage(reply, 200, tx);
  });

  const LOGIN_FAILED =
    'Anmeldung fehlgeschlagen. Bitte prüfen Sie Ihre Angaben oder versuchen Sie es später erneut.';

  app.post('/login', protect, async (req, reply) => {
    const tx = field(req.body, 'tx');
    const username = field(req.body, 'username') ?? '';
    const password = field(req.body, 'password') ?? '';
    const session = ensureSession(services, req, reply);
    if (tx && !loadTx(session, tx)) return txExpired(reply);
    const t = now();
    const patient = username.length <= 64 ? getPatientByUsername(store, username) : undefined;
    const cred = patient && patient.removed_ms === null ? getCredentials(store, patient.id) : undefined;
    if (!patient || !cred) {
      await verifyPassword(password, await dummyPasswordHash());
      appendPrivacyEvent(store, { event: 'login_failed', outcome: 'failure', atMs: t, reason: 'password' });
      return loginPage(reply, 401, tx, LOGIN_FAILED);
    }
    const ref = patientRef(store, patient.id);
    if (isLocked(cred, t)) {
      appendPrivacyEvent(store, {
        event: 'login_failed',
        outcome: 'failure',
        atMs: t,
        patientRef: ref,
        reason: 'locked',
      });
      return loginPage(reply, 401, tx, LOGIN_FAILED);
    }
    if (!(await verifyPassword(password, cred.password_hash))) {
      registerFailure(store, cred, policy, t);
      appendPrivacyEvent(store, {
        event: 'login_failed',
        outcome: 'failure',
        atMs: t,
        patientRef: ref,
        reason: 'password',
      });
      return loginPage(reply, 401, tx, LOGIN_FAILED);
    }
    elevateSession(services, reply, session, patient.id, 'password');
    const next = cred.totp_secret ? '/account/login/totp' : '/account/enroll';
    return reply.redirect(`${next}${txQuery(tx)}`, 303);
  });

  // ---- login: TOTP --------------------------------------------------------------------------------
  function totpPage(reply: FastifyReply, status: number, tx: string | undefined, message?: string) {
    const csrf = reply.generateCsrf();
    return sendHtml(
      reply,
      status,
      page(
        'Bestätigungscode',
        html`${message ? html`<p class="error" data-error="login_failed">${message}</p>` : html``}
          <form method="post" action="/account/login/totp">
            <input type="hidden" name="_csrf" value="${csrf}" />${hidden('tx', tx)}
            <label
              >Code aus Ihrer Authenticator-App
              <input
                type="text"
                name="code"
                inputmode="numeric"
                autocomplete="one-time-code"
                pattern="[0-9]{6}"
                required
            /></label>
            <button type="submit">Anmelden</button>
          </form>`,
      ),
    );
  }

  function passwordStage(req: FastifyRequest): SessionRow | undefined {
    const s = currentSession(services, req);
    return s && s.stage === 'password' && s.patient_id ? s : undefined;
  }

  app.get('/login/totp', async (req, reply) => {
    const tx = (req.query as Form).tx as string | undefined;
    if (!passwordStage(req)) return reply.redirect(`/account/login${txQuery(tx)}`, 303);
    return totpPage(reply, 200, tx);
  });

  async function completeLogin(
    reply: FastifyReply,
    session: SessionRow,
    patientId: string,
    tx: string | undefined,
  ) {
    const t = now();
    registerSuccess(store, patientId, t);
    elevateSession(services, reply, session, patientId, 'authenticated');
    appendPrivacyEvent(store, {
      event: 'login',
      outcome: 'success',
      atMs: t,
      patientRef: patientRef(store, patientId),
    });
    return afterLogin(reply, tx);
  }

  app.post('/login/totp', protect, async (req, reply) => {
    const tx = field(req.body, 'tx');
    const session = passwordStage(req);
    if (!session) return reply.redirect(`/account/login${txQuery(tx)}`, 303);
    if (tx && !loadTx(session, tx)) return txExpired(reply);
    const patientId = session.patient_id!;
    const cred = getCredentials(store, patientId);
    const t = now();
    const ref = patientRef(store, patientId);
    if (!cred || !cred.totp_secret) return reply.redirect(`/account/login${txQuery(tx)}`, 303);
    if (isLocked(cred, t)) {
      appendPrivacyEvent(store, {
        event: 'login_failed',
        outcome: 'failure',
        atMs: t,
        patientRef: ref,
        reason: 'locked',
      });
      return totpPage(reply, 401, tx, LOGIN_FAILED);
    }
    const step = await checkPatientTotp(store, cred, 'active', field(req.body, 'code') ?? '', t);
    if (step === undefined) {
      registerFailure(store, cred, policy, t);
      appendPrivacyEvent(store, {
        event: 'login_failed',
        outcome: 'failure',
        atMs: t,
        patientRef: ref,
        reason: 'totp',
      });
      return totpPage(reply, 401, tx, LOGIN_FAILED);
    }
    setTotpLastStep(store, patientId, step);
    return completeLogin(reply, session, patientId, tx);
  });

  // ---- TOTP enrolment (after `patient reset-2fa`) -------------------------------------------------------
  app.get('/enroll', async (req, reply) => {
    const tx = (req.query as Form).tx as string | undefined;
    const session = passwordStage(req);
    const cred = session ? getCredentials(store, session.patient_id!) : undefined;
    if (!session || !cred || cred.totp_secret) return reply.redirect(`/account/login${txQuery(tx)}`, 303);
    const patient = getPatient(store, session.patient_id!)!;
    const secret = enrolmentSecret(store, cred, now());
    const uri = totpUri(patient.username, secret);
    const svg = await QRCode.toString(uri, { type: 'svg', margin: 1, width: 220 });
    const csrf = reply.generateCsrf();
    return sendHtml(
      reply,
      200,
      page(
        'Zweiten Faktor einrichten',
        html`<p>Scannen Sie den QR-Code mit Ihrer Authenticator-App oder geben Sie den Schlüssel ein.</p>
          <figure class="qr">${new Html(svg)}</figure>
          <p><code class="otpauth">${uri}</code></p>
          <form method="post" action="/account/enroll">
            <input type="hidden" name="_csrf" value="${csrf}" />${hidden('tx', tx)}
            <label
              >Code aus der App
              <input type="text" name="code" inputmode="numeric" pattern="[0-9]{6}" required
            /></label>
            <button type="submit">Bestätigen</button>
          </form>`,
      ),
    );
  });

  app.post('/enroll', protect, async (req, reply) => {
    const tx = field(req.body, 'tx');
    const session = passwordStage(req);
    const cred = session ? getCredentials(store, session.patient_id!) : undefined;
    if (!session || !cred || cred.totp_secret || !cred.totp_pending) {
      return reply.redirect(`/account/login${txQuery(tx)}`, 303);
    }
    const t = now();
    const step = await checkPatientTotp(store, cred, 'pending', field(req.body, 'code') ?? '', t);
    if (step === undefined || !confirmTotpPending(store, cred.patient_id, step, t)) {
      registerFailure(store, cred, policy, t);
      appendPrivacyEvent(store, {
        event: 'login_failed',
        outcome: 'failure',
        atMs: t,
        patientRef: patientRef(store, cred.patient_id),
        reason: 'totp_enrolment',
      });
      return reply.redirect(`/account/enroll${txQuery(tx)}`, 303);
    }
    return completeLogin(reply, session, cred.patient_id, tx);
  });

  // ---- consent ------------------------------------------------------------------------------------
  async function txClient(reply: FastifyReply, row: TransactionRow): Promise<DirectoryEntry | undefined> {
    try {
      const entry = await lookupClient(services, row.client_id);
      if (entry && entry.status === 'active' && entry.redirectUris.includes(row.redirect_uri)) return entry;
      sendHtml(reply, 400, errorPage('invalid_client', 'Diese App ist nicht (mehr) zugelassen.'));
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      sendHtml(reply, err.status, errorPage(err.error, 'Das DiGA-Verzeichnis ist gerade nicht erreichbar.'));
    }
    return undefined;
  }

  function redirectToClient(reply: FastifyReply, row: TransactionRow, params: Record<string, string>) {
    const url = new URL(row.redirect_uri);
    for (const [k, v] of Object.entries(params)) url.searchParams.append(k, v);
    if (row.state !== null) url.searchParams.append('state', row.state);
    return reply.header('cache-control', 'no-store').redirect(url.toString(), 303);
  }

  app.get('/consent', async (req, reply) => {
    const tx = (req.query as Form).tx as string | undefined;
    const session = authenticated(req);
    if (!session) return reply.redirect(`/account/login${txQuery(tx)}`, 303);
    const row = loadTx(session, tx);
    if (!row) return txExpired(reply);
    const entry = await txClient(reply, row);
    if (!entry) return reply;
    const requested = row.scope.split(' ');
    const mivs = requested.map(mivOfScope).filter((m): m is MivName => m !== undefined);
    const csrf = reply.generateCsrf();
    // The consent form posts here and is answered with a redirect to the DiGA: allow that origin.
    reply.header(
      'content-security-policy',
      `default-src 'self';style-src 'self' 'unsafe-inline';img-src 'self' data:;frame-ancestors 'none';` +
        `base-uri 'self';object-src 'none';form-action 'self' ${new URL(row.redirect_uri).origin}`,
    );
    return sendHtml(
      reply,
      200,
      page(
        'Einwilligung',
        html`<p>
            Die App <strong class="diga">${entry.name}</strong> (${entry.clientId}) möchte Ihre Messdaten
            lesen.
          </p>
          <form method="post" action="/account/consent">
            <input type="hidden" name="_csrf" value="${csrf}" />${hidden('tx', tx)}
            <fieldset>
              <legend>Welche Daten darf die App lesen?</legend>
              ${mivs.map(
                (m) => html`<label><input type="checkbox" name="miv" value="${m}" /> ${MIV_LABEL[m]}</label>`,
              )}
            </fieldset>
            <p>
              Dazu gehören die Angaben zu den Geräten, die diese Werte gemessen haben. Die Einwilligung gilt
              ${Math.min(services.config.server.oauth.consentDays, 365)} Tage und kann jederzeit unter
              „Kopplungen“ widerrufen werden.
            </p>
            <button type="submit" name="decision" value="allow">Erlauben</button>
            <button type="submit" name="decision" value="deny">Ablehnen</button>
          </form>`,
        { csrf },
      ),
    );
  });

  app.post('/consent', protect, async (req, reply) => {
    const tx = field(req.body, 'tx');
    const session = authenticated(req);
    if (!session) return reply.redirect(`/account/login${txQuery(tx)}`, 303);
    const row = loadTx(session, tx);
    if (!row) return txExpired(reply);
    const entry = await txClient(reply, row);
    if (!entry) return reply;
    const patientId = session.patient_id!;
    const t = now();
    if (!finishTransaction(store, row.id_hash, t)) return txExpired(reply);
    const requested = parseScope(row.scope) ?? [];
    const requestedMivs = requested.map(mivOfScope).filter((m): m is MivName => m !== undefined);
    const chosen = [...new Set(fields(req.body, 'miv'))];
    const decision = field(req.body, 'decision');
    const valid = chosen.every((m) => (requestedMivs as string[]).includes(m));
    if (decision !== 'allow' || chosen.length === 0 || !valid) {
      appendPrivacyEvent(store, {
        event: 'pairing_failed',
        outcome: 'failure',
        atMs: t,
        patientRef: patientRef(store, patientId),
        clientId: row.client_id,
        reason: 'access_denied',
      });
      return redirectToClient(reply, row, {
        error: 'access_denied',
        error_description: 'The patient did not consent',
      });
    }
    const mivs = chosen as MivName[];
    const scope = formatScope([
      ...mivs.map((m) => MIV_SCOPE[m]),
      ...requested.filter((s) => mivOfScope(s) === undefined),
    ]);
    let code: string;
    try {
      ({ code } = authorize(services, {
        patientId,
        clientId: entry.clientId,
        mivs,
        scope,
        redirectUri: row.redirect_uri,
        codeChallenge: row.code_challenge,
      }));
    } catch (err) {
      req.log.error({ err }, 'pairing failed');
      return redirectToClient(reply, row, {
        error: 'server_error',
        error_description: 'Failed to generate pairing identifier',
      });
    }
    return redirectToClient(reply, row, { code });
  });

  // ---- pairings, audit trail, logout ----------------------------------------------------------------
  app.get('/pairings', async (req, reply) => {
    const session = authenticated(req);
    if (!session) return reply.redirect('/account/login', 303);
    const csrf = reply.generateCsrf();
    const t = now();
    const rows = listPairingsOfPatient(store, session.patient_id!);
    const names = new Map<string, string>();
    try {
      for (const e of await services.directory.entries()) names.set(e.clientId, e.name);
    } catch {
      // Directory unreachable: show client ids only.
    }
    let anyActive = false;
    const items = rows.map((p) => {
      const active = p.revoked_ms === null && p.consent_expires_ms > t;
      anyActive ||= active;
      // Ended: by the stored reason, or (before the sweep came by) because the consent ran out.
      const reason = active ? '' : (p.revoked_reason ?? 'consent_expired');
      const endedMs = p.revoked_ms ?? p.consent_expires_ms;
      const mivs = (JSON.parse(p.consent_mivs) as MivName[]).map((m) => MIV_LABEL[m] ?? m).join(', ');
      return html`<tr
        data-pairing="${p.pairing_id}"
        data-status="${active ? 'active' : 'ended'}"
        data-reason="${reason}"
      >
        <td>${names.get(p.client_id) ?? p.client_id}</td>
        <td>${mivs}</td>
        <td>${formatDate(p.consent_granted_ms)}</td>
        <td>
          ${
            active
              ? `aktiv bis ${formatDate(p.consent_expires_ms)}`
              : `beendet am ${formatDate(endedMs)}: ${END_REASON_LABEL[reason] ?? reason}`
          }
        </td>
        <td>
          ${
            active
              ? html`<form method="post" action="/account/pairings/revoke">
                  <input type="hidden" name="_csrf" value="${csrf}" />
                  <input type="hidden" name="pairing" value="${p.pairing_id}" />
                  <button type="submit">Widerrufen</button>
                </form>`
              : html``
          }
        </td>
      </tr>`;
    });
    return sendHtml(
      reply,
      200,
      page(
        'Kopplungen',
        rows.length === 0
          ? html`<p>Keine Apps gekoppelt.</p>`
          : html`<table>
                <tr>
                  <th>App</th>
                  <th>Daten</th>
                  <th>Seit</th>
                  <th>Status</th>
                  <th></th>
                </tr>
                ${items}
              </table>
              ${
                anyActive
                  ? html`<form method="post" action="/account/pairings/revoke-all">
                      <input type="hidden" name="_csrf" value="${csrf}" />
                      <button type="submit">Alle Einwilligungen widerrufen</button>
                    </form>`
                  : html``
              }`,
        { csrf },
      ),
    );
  });

  // Withdrawal of all consent: every pairing of the patient ends at once (grants, tokens, consent).
  app.post('/pairings/revoke-all', protect, async (req, reply) => {
    const session = authenticated(req);
    if (!session) return reply.redirect('/account/login', 303);
    unpairPatient(services, session.patient_id!, 'patient_withdrew_all');
    return reply.redirect('/account/pairings', 303);
  });

  app.post('/pairings/revoke', protect, async (req, reply) => {
    const session = authenticated(req);
    if (!session) return reply.redirect('/account/login', 303);
    const pairingId = field(req.body, 'pairing') ?? '';
    const own = listPairingsOfPatient(store, session.patient_id!).some((p) => p.pairing_id === pairingId);
    if (!own) {
      appendPrivacyEvent(store, {
        event: 'unpairing_failed',
        outcome: 'failure',
        atMs: now(),
        patientRef: patientRef(store, session.patient_id!),
        reason: 'not_own_pairing',
      });
      return sendHtml(reply, 404, errorPage('not_found', 'Diese Kopplung gibt es nicht.'));
    }
    unpair(services, pairingId, 'patient_revoked');
    return reply.redirect('/account/pairings', 303);
  });

  app.get('/audit', async (req, reply) => {
    const session = authenticated(req);
    if (!session) return reply.redirect('/account/login', 303);
    const csrf = reply.generateCsrf();
    const patientId = session.patient_id!;
    const pairings = listPairingsOfPatient(store, patientId).map((p) => p.pairing_id);
    const rows = privacyEventsOfPatient(store, patientId, pairings);
    return sendHtml(
      reply,
      200,
      page(
        'Protokoll',
        html`<p>
            Alle Kopplungen, Entkopplungen, Anmeldungen und abgewiesenen Zugriffe der letzten
            ${services.config.server.privacyAuditRetentionDays} Tage.
          </p>
          <table>
            <tr>
              <th>Zeit</th>
              <th>Ereignis</th>
              <th>App</th>
              <th>Details</th>
            </tr>
            ${rows.map(
              (r) =>
                html`<tr data-event="${r.event}">
                  <td>${formatDate(r.at_ms)}</td>
                  <td>${EVENT_LABEL[r.event] ?? r.event}</td>
                  <td>${r.client_id ?? ''}</td>
                  <td>${(r.reason && END_REASON_LABEL[r.reason]) ?? r.reason ?? ''}</td>
                </tr>`,
            )}
          </table>`,
        { csrf },
      ),
    );
  });

  app.post('/logout', protect, async (req, reply) => {
    endSession(services, reply, currentSession(services, req));
    return reply.redirect('/account/login', 303);
  });
}
