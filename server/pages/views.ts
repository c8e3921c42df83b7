// The forms of the login, enrolment and consent steps as HTML (texts by `ui`). Pure: the handlers pass the
// language, the CSRF token, the transaction reference and the values to show.
import type { MivName } from '../../config/types.ts';
import type { DirectoryEntry } from '../oauth/directory.ts';
import { html, Html, page } from '../shared/html.ts';
import type { MessageKey, Ui } from '../shared/i18n.ts';

function hidden(name: string, value: string | undefined): Html {
  return value === undefined ? html`` : html`<input type="hidden" name="${name}" value="${value}" />`;
}

function failure(ui: Ui, message: MessageKey | undefined): Html {
  return message ? html`<p class="error" data-error="login_failed">${ui.t(message)}</p>` : html``;
}

export function loginView(ui: Ui, csrf: string, tx: string | undefined, message?: MessageKey): string {
  const { t } = ui;
  return page(
    ui,
    t('login.title'),
    html`${failure(ui, message)}
      <form method="post" action="/account/login">
        <input type="hidden" name="_csrf" value="${csrf}" />${hidden('tx', tx)}
        <label
          >${t('login.username')} <input type="text" name="username" autocomplete="username" required
        /></label>
        <label
          >${t('login.password')}
          <input type="password" name="password" autocomplete="current-password" required
        /></label>
        <button type="submit">${t('login.next')}</button>
      </form>`,
  );
}

export function totpView(ui: Ui, csrf: string, tx: string | undefined, message?: MessageKey): string {
  const { t } = ui;
  return page(
    ui,
    t('totp.title'),
    html`${failure(ui, message)}
      <form method="post" action="/account/login/totp">
        <input type="hidden" name="_csrf" value="${csrf}" />${hidden('tx', tx)}
        <label
          >${t('totp.code')}
          <input
            type="text"
            name="code"
            inputmode="numeric"
            autocomplete="one-time-code"
            pattern="[0-9]{6}"
            required
        /></label>
        <button type="submit">${t('totp.submit')}</button>
      </form>`,
  );
}

/** `qrSvg`: the QR code of `uri` as SVG markup (from the qrcode package). */
export function enrolView(ui: Ui, csrf: string, tx: string | undefined, uri: string, qrSvg: string): string {
  const { t } = ui;
  const label = html`<svg role="img" aria-label="${t('enrol.qrLabel')}" `.value;
  return page(
    ui,
    t('enrol.title'),
    html`<p>${t('enrol.intro')}</p>
      <figure class="qr">${new Html(qrSvg.replace('<svg ', label))}</figure>
      <p><code class="otpauth">${uri}</code></p>
      <form method="post" action="/account/enroll">
        <input type="hidden" name="_csrf" value="${csrf}" />${hidden('tx', tx)}
        <label
          >${t('enrol.code')} <input type="text" name="code" inputmode="numeric" pattern="[0-9]{6}" required
        /></label>
        <button type="submit">${t('enrol.submit')}</button>
      </form>`,
  );
}

export interface ConsentViewInput {
  csrf: string;
  tx: string | undefined;
  entry: DirectoryEntry;
  mivs: MivName[];
  consentDays: number;
}

export function consentView(ui: Ui, v: ConsentViewInput): string {
  const { t } = ui;
  return page(
    ui,
    t('consent.title'),
    html`<p>
        ${t('consent.app')} <strong class="diga">${v.entry.name}</strong> (${v.entry.clientId})
        ${t('consent.intro')}
      </p>
      <form method="post" action="/account/consent">
        <input type="hidden" name="_csrf" value="${v.csrf}" />${hidden('tx', v.tx)}
        <fieldset>
          <legend>${t('consent.legend')}</legend>
          ${v.mivs.map(
            (m) => html`<label><input type="checkbox" name="miv" value="${m}" /> ${t(`miv.${m}`)}</label>`,
          )}
        </fieldset>
        <p>${t('consent.terms', { days: Math.min(v.consentDays, 365) })}</p>
        <button type="submit" name="decision" value="allow">${t('consent.allow')}</button>
        <button type="submit" name="decision" value="deny">${t('consent.deny')}</button>
      </form>`,
    { csrf: v.csrf },
  );
}
