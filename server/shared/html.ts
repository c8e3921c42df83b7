// Minimal server-side HTML: one layout, escaping for every interpolated value.
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

/**
 * `csrf` given = the patient is logged in: show the navigation with a logout button. The page's content is
 * its <main> landmark; every focused control shows a 3 px outline (WCAG 2.4.7).
 */
export function page(title: string, body: Html, opts: { csrf?: string } = {}): string {
  const nav = opts.csrf
    ? html`<nav aria-label="Konto">
        <a href="/account/readings">Meine Werte</a> · <a href="/account/devices">Meine Geräte</a> ·
        <a href="/account/pairings">Kopplungen</a> · <a href="/account/audit">Protokoll</a> ·
        <a href="/account/export">Datenexport</a>
        <form method="post" action="/account/logout" class="inline">
          <input type="hidden" name="_csrf" value="${opts.csrf}" /><button type="submit">Abmelden</button>
        </form>
      </nav>`
    : html``;
  return `<!doctype html>
<html lang="de"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
label{display:block;margin:.5rem 0}input[type=text],input[type=password]{width:100%;padding:.4rem}
button{padding:.4rem 1rem;margin:.3rem .3rem .3rem 0}.error{color:#a00}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.3rem;text-align:left;font-size:.9rem}.inline{display:inline}
:focus-visible{outline:3px solid #1a56b0;outline-offset:2px}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}</style>
</head><body>${nav.value}<main><h1>${esc(title)}</h1>
${body.value}
</main></body></html>`;
}

/** An error page; the OAuth error code is machine-readable in data-error. */
export function errorPage(error: string, description: string): string {
  return page(
    'Anfrage abgelehnt',
    html`<p class="error" data-error="${error}">${description}</p>
      <p>Bitte kehren Sie zur App zurück und starten Sie die Kopplung erneut.</p>`,
  );
}
