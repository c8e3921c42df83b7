// Minimal server-side HTML: one layout, escaping for every interpolated value.
import { LANGUAGES, withLang, type Lang, type Ui } from './i18n.ts';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** A value already made safe (escaped pieces or fixed markup). */
export class Html {
  readonly value: string;

  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

/** Tagged template: interpolations are escaped unless they are Html (or arrays of Html). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => {
    if (v instanceof Html) out += v.value;
    else if (Array.isArray(v)) out += v.map((x) => (x instanceof Html ? x.value : esc(x))).join('');
    else out += esc(v);
    out += strings[i + 1]!;
  });
  return new Html(out);
}

/** Links to this page in each language (plain links: no script; the chosen one is aria-current). */
function languageSwitch(ui: Ui): Html {
  const links = LANGUAGES.map((lang) => {
    const href = withLang(ui.here, lang);
    const name = LANGUAGE_NAME[lang];
    return lang === ui.lang
      ? html`<a href="${href}" hreflang="${lang}" lang="${lang}" aria-current="true">${name}</a>`
      : html`<a href="${href}" hreflang="${lang}" lang="${lang}">${name}</a>`;
  });
  return html`<nav aria-label="${ui.t('layout.language')}" class="languages">
    ${links.map((l, i) => html`${i ? ' · ' : ''}${l}`)}
  </nav>`;
}

export const LANGUAGE_NAME: Record<Lang, string> = { de: 'Deutsch', en: 'English' };

/**
 * `csrf` given = the patient is logged in: show the navigation with a logout button. The page's content is
 * its <main> landmark; every focused control shows a 3 px outline (WCAG 2.4.7). `<html lang>` is the
 * language of `ui`; the language switch is on every page.
 */
export function page(ui: Ui, title: string, body: Html, opts: { csrf?: string } = {}): string {
  const { t } = ui;
  const nav = opts.csrf
    ? html`<nav aria-label="${t('layout.account')}">
        <a href="/account/readings">${t('layout.readings')}</a> ·
        <a href="/account/devices">${t('layout.devices')}</a> ·
        <a href="/account/pairings">${t('layout.pairings')}</a> ·
        <a href="/account/audit">${t('layout.audit')}</a> ·
        <a href="/account/export">${t('layout.export')}</a>
        <form method="post" action="/account/logout" class="inline">
          <input type="hidden" name="_csrf" value="${opts.csrf}" /><button type="submit">
            ${t('layout.logout')}
          </button>
        </form>
      </nav>`
    : html``;
  return `<!doctype html>
<html lang="${ui.lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
label{display:block;margin:.5rem 0}input[type=text],input[type=password]{width:100%;padding:.4rem}
button{padding:.4rem 1rem;margin:.3rem .3rem .3rem 0}.error{color:#a00}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.3rem;text-align:left;font-size:.9rem}.inline{display:inline}
:focus-visible{outline:3px solid #1a56b0;outline-offset:2px}
.languages{text-align:right}.languages a{margin-left:.75rem}.languages a[aria-current]{font-weight:bold}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}</style>
</head><body>${languageSwitch(ui).value}${nav.value}<main><h1>${esc(title)}</h1>
${body.value}
</main></body></html>`;
}

/** An error page; the OAuth error code is machine-readable in data-error. */
export function errorPage(ui: Ui, error: string, description: string): string {
  return page(
    ui,
    ui.t('error.title'),
    html`<p class="error" data-error="${error}">${description}</p>
      <p>${ui.t('error.retry')}</p>`,
  );
}
