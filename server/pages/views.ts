// The forms of the login, enrolment and consent steps as HTML (German UI). Pure: the handlers pass the CSRF
// token, the transaction reference and the values to show.
import type { MivName } from '../../config/types.ts';
import type { DirectoryEntry } from '../oauth/directory.ts';
import { MIV_LABEL } from '../oauth/scopes.ts';
import { html, Html, page } from '../shared/html.ts';

function hidden(name: string, value: string | undefined): Html {
  return value === undefined ? html`` : html`<input type="hidden" name="${name}" value="${value}" />`;
}

function failure(message: string | undefined): Html {
  return message ? html`<p class="error" data-error="login_failed">${message}</p>` : html``;
}

export function loginView(csrf: string, tx: string | undefined, message?: string): string {
  return page(
    'Anmeldung',
    html`${failure(message)}
      <form method="post" action="/account/login">
        <input type="hidden" name="_csrf" value="${csrf}" />${hidden('tx', tx)}
        <label>Benutzername <input type="text" name="username" autocomplete="username" required /></label>
        <label
          >Passwort <input type="password" name="password" autocomplete="current-password" required
        /></label>
        <button type="submit">Weiter</button>
      </form>`,
  );
}

export function totpView(csrf: string, tx: string | undefined, message?: string): string {
  return page(
    'Bestätigungscode',
    html`${failure(message)}
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
  );
}

/** `qrSvg`: the QR code of `uri` as SVG markup (from the qrcode package). */
export function enrolView(csrf: string, tx: string | undefined, uri: string, qrSvg: string): string {
  return page(
    'Zweiten Faktor einrichten',
    html`<p>Scannen Sie den QR-Code mit Ihrer Authenticator-App oder geben Sie den Schlüssel ein.</p>
      <figure class="qr">
        ${new Html(qrSvg.replace('<svg ', '<svg role="img" aria-label="QR-Code des Schlüssels" '))}
      </figure>
      <p><code class="otpauth">${uri}</code></p>
      <form method="post" action="/account/enroll">
        <input type="hidden" name="_csrf" value="${csrf}" />${hidden('tx', tx)}
        <label
          >Code aus der App <input type="text" name="code" inputmode="numeric" pattern="[0-9]{6}" required
        /></label>
        <button type="submit">Bestätigen</button>
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

export function consentView(v: ConsentViewInput): string {
  return page(
    'Einwilligung',
    html`<p>
        Die App <strong class="diga">${v.entry.name}</strong> (${v.entry.clientId}) möchte Ihre Messdaten
        lesen.
      </p>
      <form method="post" action="/account/consent">
        <input type="hidden" name="_csrf" value="${v.csrf}" />${hidden('tx', v.tx)}
        <fieldset>
          <legend>Welche Daten darf die App lesen?</legend>
          ${v.mivs.map(
            (m) => html`<label><input type="checkbox" name="miv" value="${m}" /> ${MIV_LABEL[m]}</label>`,
          )}
        </fieldset>
        <p>
          Dazu gehören die Angaben zu den Geräten, die diese Werte gemessen haben. Die Einwilligung gilt
          ${Math.min(v.consentDays, 365)} Tage und kann jederzeit unter „Kopplungen“ widerrufen werden.
        </p>
        <button type="submit" name="decision" value="allow">Erlauben</button>
        <button type="submit" name="decision" value="deny">Ablehnen</button>
      </form>`,
    { csrf: v.csrf },
  );
}
