// The patient's pairings (with revoke buttons) and privacy audit trail as HTML (German UI). Pure: the
// handlers pass the rows, the DiGA names and the CSRF token.
import type { MivName } from '../../config/types.ts';
import type { PrivacyEvent } from '../audit/privacy-trail.ts';
import type { PrivacyAuditRow } from '../../gateway/store/oauth-audit.ts';
import type { PairingRow } from '../../gateway/store/oauth-grants.ts';
import { MIV_LABEL } from '../oauth/scopes.ts';
import { html, page, type Html } from '../shared/html.ts';

const EVENT_LABEL: Record<string, string> = {
  pairing: 'Kopplung',
  pairing_failed: 'Kopplung fehlgeschlagen',
  unpairing: 'Entkopplung',
  unpairing_failed: 'Entkopplung fehlgeschlagen',
  unauthorized_access: 'Unberechtigter Zugriffsversuch',
  login: 'Anmeldung',
  login_failed: 'Anmeldung fehlgeschlagen',
  export: 'Datenexport',
  account_removed: 'Konto entfernt',
} satisfies Record<PrivacyEvent, string>;

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

function formatDate(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

function revokeForm(csrf: string, pairingId: string): Html {
  return html`<form method="post" action="/account/pairings/revoke">
    <input type="hidden" name="_csrf" value="${csrf}" />
    <input type="hidden" name="pairing" value="${pairingId}" />
    <button type="submit">Widerrufen</button>
  </form>`;
}

function pairingRow(p: PairingRow, names: ReadonlyMap<string, string>, csrf: string, nowMs: number): Html {
  const active = p.revoked_ms === null && p.consent_expires_ms > nowMs;
  // Ended: by the stored reason, or (before the sweep came by) because the consent ran out.
  const reason = active ? '' : (p.revoked_reason ?? 'consent_expired');
  const endedMs = p.revoked_ms ?? p.consent_expires_ms;
  const mivs = (JSON.parse(p.consent_mivs) as MivName[]).map((m) => MIV_LABEL[m] ?? m).join(', ');
  const status = active
    ? `aktiv bis ${formatDate(p.consent_expires_ms)}`
    : `beendet am ${formatDate(endedMs)}: ${END_REASON_LABEL[reason] ?? reason}`;
  return html`<tr
    data-pairing="${p.pairing_id}"
    data-status="${active ? 'active' : 'ended'}"
    data-reason="${reason}"
  >
    <td>${names.get(p.client_id) ?? p.client_id}</td>
    <td>${mivs}</td>
    <td>${formatDate(p.consent_granted_ms)}</td>
    <td>${status}</td>
    <td>${active ? revokeForm(csrf, p.pairing_id) : html``}</td>
  </tr>`;
}

export interface PairingsViewInput {
  csrf: string;
  rows: PairingRow[];
  /** DiGA names by client id (empty when the directory is unreachable: ids are shown then). */
  names: ReadonlyMap<string, string>;
  nowMs: number;
}

export function pairingsView(v: PairingsViewInput): string {
  if (v.rows.length === 0) return page('Kopplungen', html`<p>Keine Apps gekoppelt.</p>`, { csrf: v.csrf });
  const anyActive = v.rows.some((p) => p.revoked_ms === null && p.consent_expires_ms > v.nowMs);
  const revokeAll = anyActive
    ? html`<form method="post" action="/account/pairings/revoke-all">
        <input type="hidden" name="_csrf" value="${v.csrf}" />
        <button type="submit">Alle Einwilligungen widerrufen</button>
      </form>`
    : html``;
  return page(
    'Kopplungen',
    html`<table>
        <thead>
          <tr>
            <th scope="col">App</th>
            <th scope="col">Daten</th>
            <th scope="col">Seit</th>
            <th scope="col">Status</th>
            <th scope="col"><span class="visually-hidden">Aktion</span></th>
          </tr>
        </thead>
        <tbody>
          ${v.rows.map((p) => pairingRow(p, v.names, v.csrf, v.nowMs))}
        </tbody>
      </table>
      ${revokeAll}`,
    { csrf: v.csrf },
  );
}

export function auditView(csrf: string, rows: PrivacyAuditRow[], retentionDays: number): string {
  return page(
    'Protokoll',
    html`<p>
        Alle Kopplungen, Entkopplungen, Anmeldungen, Datenexporte und abgewiesenen Zugriffe der letzten
        ${retentionDays} Tage.
      </p>
      <table>
        <thead>
          <tr>
            <th scope="col">Zeit</th>
            <th scope="col">Ereignis</th>
            <th scope="col">App</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (r) =>
              html`<tr data-event="${r.event}">
                <td>${formatDate(r.at_ms)}</td>
                <td>${EVENT_LABEL[r.event] ?? r.event}</td>
                <td>${r.client_id ?? ''}</td>
                <td>${(r.reason && END_REASON_LABEL[r.reason]) ?? r.reason ?? ''}</td>
              </tr>`,
          )}
        </tbody>
      </table>`,
    { csrf },
  );
}
