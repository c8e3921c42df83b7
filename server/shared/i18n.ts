// The language of the patient pages: German (default) or English, through one i18next instance with the
// resources of server/shared/i18n/ (no backend, initialised synchronously). A request's language is, in
// order: `?lang=` (the switch in the page layout, which also sets the cookie), the `hddt_lang` cookie, the
// Accept-Language header (by q-value, RFC 9110 12.5.4), German.
import type { FastifyReply, FastifyRequest } from 'fastify';
import i18next from 'i18next';
import { de, type Messages } from './i18n/de.ts';
import { en } from './i18n/en.ts';

export const LANGUAGES = ['de', 'en'] as const;
export type Lang = (typeof LANGUAGES)[number];
export const DEFAULT_LANG: Lang = 'de';
export const LANG_COOKIE = 'hddt_lang';

/** Intl locale of each language. */
export const LOCALE: Record<Lang, string> = { de: 'de-DE', en: 'en-GB' };

/** Every resource, by language (the key-parity test reads it). */
export const RESOURCES: Record<Lang, Messages> = { de, en };

type Paths<T> = {
  [K in keyof T & string]: T[K] extends string ? K : `${K}.${Paths<T[K]>}`;
}[keyof T & string];

/** A dotted key of a text, e.g. `login.title`. */
export type MessageKey = Paths<Messages>;
export type Vars = Record<string, string | number>;

export interface Translator {
  lang: Lang;
  /** Intl locale (numbers, dates). */
  locale: string;
  t(key: MessageKey, vars?: Vars): string;
}

/** A translator plus where the page is (for the language links). */
export interface Ui extends Translator {
  /** Path and query of the request. */
  here: string;
}

const instance = i18next.createInstance();
void instance.init({
  resources: { de: { translation: de }, en: { translation: en } },
  lng: DEFAULT_LANG,
  fallbackLng: false,
  supportedLngs: [...LANGUAGES],
  initAsync: false,
  // The HTML templates escape every value; i18next must not escape twice.
  interpolation: { escapeValue: false },
  returnNull: false,
});

const translators = new Map<Lang, Translator>(
  LANGUAGES.map((lang) => {
    const fixed = instance.getFixedT(lang);
    const t = (key: MessageKey, vars?: Vars): string => String(fixed(key, vars ?? {}));
    return [lang, { lang, locale: LOCALE[lang], t }];
  }),
);

export function isLang(value: unknown): value is Lang {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

export function translatorFor(lang: Lang): Translator {
  return translators.get(lang)!;
}

/** `?lang=` of the request URL (read raw: route schemas drop unknown query members). */
export function queryLang(req: FastifyRequest): Lang | undefined {
  const value = new URL(req.url, 'http://localhost').searchParams.get('lang');
  return isLang(value) ? value : undefined;
}

export function languageOf(req: FastifyRequest): Lang {
  const asked = queryLang(req);
  if (asked) return asked;
  const cookie = req.cookies?.[LANG_COOKIE];
  if (isLang(cookie)) return cookie;
  const header = req.headers['accept-language'];
  return (header && acceptedLanguage(header)) || DEFAULT_LANG;
}

/**
 * The best of LANGUAGES by an Accept-Language header: ranges by q-value (default 1, q=0 refuses), a range
 * matching a language when it is the language or one of its subtags (`en-US` → en), `*` any language not
 * named otherwise; among equal q-values the first. Undefined when none is acceptable.
 */
export function acceptedLanguage(header: string): Lang | undefined {
  const ranges = header.split(',').flatMap((part, order) => {
    const [range = '', ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    return range && Number.isFinite(q) ? [{ lang: range.split('-')[0]!, q, order }] : [];
  });
  const quality = (lang: Lang) =>
    ranges.find((r) => r.lang === lang) ?? ranges.find((r) => r.lang === '*') ?? { q: 0, order: 0 };
  const best = LANGUAGES.map((lang) => ({ ...quality(lang), lang }))
    .filter((c) => c.q > 0)
    .sort((a, b) => b.q - a.q || a.order - b.order)[0];
  return best?.lang;
}

export function uiOf(req: FastifyRequest): Ui {
  return { ...translatorFor(languageOf(req)), here: req.url };
}

/** The switch: `?lang=` on any page keeps the choice in a cookie for a year. */
export function rememberLanguage(req: FastifyRequest, reply: FastifyReply, secure = true): void {
  const asked = queryLang(req);
  if (asked && req.cookies?.[LANG_COOKIE] !== asked)
    reply.setCookie(LANG_COOKIE, asked, {
      path: '/',
      secure,
      httpOnly: true,
      sameSite: 'lax',
      maxAge: 365 * 24 * 3600,
    });
}

/** `here` with `lang` set to `lang` (the other query members kept). */
export function withLang(here: string, lang: Lang): string {
  const url = new URL(here, 'http://localhost');
  url.searchParams.set('lang', lang);
  return `${url.pathname}${url.search}`;
}
