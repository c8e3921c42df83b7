// The patient's pairings (with revoke buttons) and privacy audit trail as HTML (texts by `ui`). Pure: the
// handlers pass the language, the rows, the DiGA names and the CSRF token.
import type { MivName } from '../../config/types.ts';
import type { PrivacyAuditRow } from '../../gateway/store/oauth-audit.ts';
import type { PairingRow } from '../../gateway/store/oauth-grants.ts';
import { html, page, type Html } from '../shared/html.ts';
import type { MessageKey, Ui } from '../shared/i18n.ts';

/** A text by a key the store holds (an event, a reason): the translation if there is one, else the key. */
function label(ui: Ui, group: 'event' | 'endReason', key: string): string {
  const text = ui.t(`${group}.${key}` as MessageKey);
  return text === `${group}.${key}` ? key : text;
}

function formatDate(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

function revokeForm(ui: Ui, csrf: string, pairingId: string): Html {
  return html`<form method="post" action="/account/pairings/revoke">
    <input type="hidden" name="_csrf" value="${csrf}" />
    <input type="hidden" name="pairing" value="${pairingId}" />
    <button type="submit">${ui.t('pairings.revoke')}</button>
  </form>`;
}

function pairingRow(ui: Ui, p: PairingRow, v: PairingsViewInput): Html {
  const { names, csrf, nowMs } = v;
  const active = p.revoked_ms === null && p.consent_expires_ms > nowMs;
  // Ended: by the stored reason, or (before the sweep came by) because the consent ran out.
  const reason = active ? '' : (p.revoked_reason ?? 'consent_expired');
  const endedMs = p.revoked_ms ?? p.consent_expires_ms;
  const mivs = (JSON.parse(p.consent_mivs) as MivName[]).map((m) => ui.t(`miv.${m}`)).join(', ');
  const status = active
    ? ui.t('pairings.activeUntil', { date: formatDate(p.consent_expires_ms) })
    : ui.t('pairings.endedAt', { date: formatDate(endedMs), reason: label(ui, 'endReason', reason) });
  return html`<tr
    data-pairing="${p.pairing_id}"
    data-status="${active ? 'active' : 'ended'}"
    data-reason="${reason}"
  >
    <td>${names.get(p.client_id) ?? p.client_id}</td>
    <td>${mivs}</td>
    <td>${formatDate(p.consent_granted_ms)}</td>
    <td>${status}</td>
    <td>${active ? revokeForm(ui, csrf, p.pairing_id) : html``}</td>
  </tr>`;
}

export interface PairingsViewInput {
  csrf: string;
  rows: PairingRow[];
  /** DiGA names by client id (empty when the directory is unreachable: ids are shown then). */
  names: ReadonlyMap<string, string>;
  nowMs: number;
}

export function pairingsView(ui: Ui, v: PairingsViewInput): string {
  const { t } = ui;
  if (v.rows.length === 0)
    return page(ui, t('pairings.title'), html`<p>${t('pairings.none')}</p>`, { csrf: v.csrf });
  const anyActive = v.rows.some((p) => p.revoked_ms === null && p.consent_expires_ms > v.nowMs);
  const revokeAll = anyActive
    ? html`<form method="post" action="/account/pairings/revoke-all">
        <input type="hidden" name="_csrf" value="${v.csrf}" />
        <button type="submit">${t('pairings.revokeAll')}</button>
      </form>`
    : html``;
  return page(
    ui,
    t('pairings.title'),
    html`<table>
        <thead>
          <tr>
            <th scope="col">${t('pairings.head.app')}</th>
            <th scope="col">${t('pairings.head.data')}</th>
            <th scope="col">${t('pairings.head.since')}</th>
            <th scope="col">${t('pairings.head.status')}</th>
            <th scope="col"><span class="visually-hidden">${t('pairings.head.action')}</span></th>
          </tr>
        </thead>
        <tbody>
          ${v.rows.map((p) => pairingRow(ui, p, v))}
        </tbody>
      </table>
      ${revokeAll}`,
    { csrf: v.csrf },
  );
}

export function auditView(ui: Ui, csrf: string, rows: PrivacyAuditRow[], retentionDays: number): string {
  const { t } = ui;
  return page(
    ui,
    t('audit.title'),
    html`<p>${t('audit.intro', { days: retentionDays })}</p>
      <table>
        <thead>
          <tr>
            <th scope="col">${t('audit.head.time')}</th>
            <th scope="col">${t('audit.head.event')}</th>
            <th scope="col">${t('audit.head.app')}</th>
            <th scope="col">${t('audit.head.details')}</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (r) =>
              html`<tr data-event="${r.event}">
                <td>${formatDate(r.at_ms)}</td>
                <td>${label(ui, 'event', r.event)}</td>
                <td>${r.client_id ?? ''}</td>
                <td>${r.reason ? label(ui, 'endReason', r.reason) : ''}</td>
              </tr>`,
          )}
        </tbody>
      </table>`,
    { csrf },
  );
}
