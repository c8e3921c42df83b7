// The languages of the patient pages: the same keys in German and English, none empty; the language chosen by
// `?lang=` (kept in a cookie), then Accept-Language by q-value, then German.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  acceptedLanguage,
  LANG_COOKIE,
  RESOURCES,
  translatorFor,
  withLang,
  type Lang,
} from '../../../server/shared/i18n.ts';
import { renderLoginPage } from '../../../server/operator/page.ts';
import { removeCertificates, startHarness, type Harness } from '../oauth/harness.ts';

/** Every dotted key of a resource with its value. */
function flatten(tree: object, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object') for (const [kk, vv] of flatten(v, key)) out.set(kk, vv);
    else out.set(key, v);
  }
  return out;
}

describe('translations', () => {
  const flat = Object.fromEntries(
    Object.entries(RESOURCES).map(([lang, res]) => [lang, flatten(res)]),
  ) as Record<Lang, Map<string, unknown>>;

  it('have the same keys in every language', () => {
    const [first, ...rest] = Object.keys(flat) as Lang[];
    for (const lang of rest) {
      const missing = [...flat[first!].keys()].filter((k) => !flat[lang].has(k));
      const extra = [...flat[lang].keys()].filter((k) => !flat[first!].has(k));
      assert.deepEqual(missing, [], `keys of ${first} missing in ${lang}`);
      assert.deepEqual(extra, [], `keys of ${lang} missing in ${first}`);
    }
  });

  it('are all non-empty strings', () => {
    for (const [lang, keys] of Object.entries(flat))
      for (const [k, v] of keys)
        assert.ok(typeof v === 'string' && v.trim() !== '', `${lang}: ${k} is empty or not text`);
  });

  it('use the same placeholders in every language', () => {
    const names = (v: unknown) => [...String(v).matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();
    for (const [k, v] of flat.de) assert.deepEqual(names(flat.en.get(k)), names(v), `placeholders of ${k}`);
  });

  it('fill placeholders without escaping (the templates escape)', () => {
    assert.equal(translatorFor('en').t('readings.days', { n: 3, of: 14 }), '3 of 14 days');
    assert.equal(translatorFor('de').t('readings.days', { n: '<3>', of: 14 }), '<3> von 14 Tagen');
    assert.equal(translatorFor('en').locale, 'en-GB');
  });
});

describe('Accept-Language', () => {
  it('picks the best language by q-value', () => {
    assert.equal(acceptedLanguage('en-US,en;q=0.9,de;q=0.8'), 'en');
    assert.equal(acceptedLanguage('fr, de;q=0.1, en;q=0.2'), 'en');
    assert.equal(acceptedLanguage('de-AT, en'), 'de');
    assert.equal(acceptedLanguage('en;q=0.5, de;q=0.5'), 'en');
    assert.equal(acceptedLanguage('*;q=0.5, de;q=0'), 'en');
    assert.equal(acceptedLanguage('fr, it'), undefined);
    assert.equal(acceptedLanguage('en;q=0'), undefined);
  });

  it('keeps the other query members in the switch links', () => {
    assert.equal(withLang('/account/login?tx=a%20b&lang=de', 'en'), '/account/login?tx=a+b&lang=en');
  });
});

describe('patient pages by language', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
    removeCertificates();
  });

  const get = (url: string, headers: Record<string, string> = {}) =>
    h.app.inject({ method: 'GET', url, headers });

  it('are German by default', async () => {
    const home = await get('/account/');
    assert.equal(home.statusCode, 303);
    const r = await get(home.headers.location as string);
    assert.match(r.body, /<html lang="de">/);
    assert.match(r.body, /<title>Anmeldung<\/title>/);
    assert.match(r.body, /Passwort/);
  });

  it('follow Accept-Language', async () => {
    const r = await get('/account/login', { 'accept-language': 'en-GB,en;q=0.9,de;q=0.5' });
    assert.match(r.body, /<html lang="en">/);
    assert.match(r.body, /<title>Login<\/title>/);
    assert.match(r.body, /Password/);
    assert.doesNotMatch(r.body, /Passwort/);
    const de = await get('/account/login', { 'accept-language': 'de-DE, en;q=0.3' });
    assert.match(de.body, /<html lang="de">/);
  });

  it('switch by ?lang= and keep the choice in a cookie', async () => {
    const b = h.browser();
    const r = await b.get('/account/login?lang=en');
    assert.match(r.text, /<html lang="en">/);
    assert.equal(b.cookies.get(LANG_COOKIE), 'en');
    const next = await b.get('/account/login');
    assert.match(next.text, /<html lang="en">/);
    assert.match(next.text, /<a href="\/account\/login\?lang=de" hreflang="de" lang="de">Deutsch<\/a>/);
    // The cookie wins over Accept-Language, ?lang= over the cookie.
    const header = await get('/account/login', {
      cookie: `${LANG_COOKIE}=en`,
      'accept-language': 'de',
    });
    assert.match(header.body, /<html lang="en">/);
    const back = await b.get('/account/login?lang=de');
    assert.match(back.text, /<html lang="de">/);
    assert.equal(b.cookies.get(LANG_COOKIE), 'de');
  });

  it('translate the not-found page too', async () => {
    const r = await get('/account/nowhere?lang=en');
    assert.equal(r.statusCode, 404);
    assert.match(r.body, /Page not found/);
  });
});

describe('operator pages by language', () => {
  it('render the login in German by default and in English when asked', () => {
    const de = renderLoginPage('token', null);
    assert.match(de, /<html lang="de">/);
    assert.match(de, /Betreiber-Anmeldung/);
    const en = renderLoginPage('token', 'Wrong user or password.', translatorFor('en'));
    assert.match(en, /<html lang="en">/);
    assert.match(en, /operator login/);
    assert.match(en, /<a href="\/login\?lang=de" hreflang="de" lang="de">Deutsch<\/a>/);
  });
});
