// A pairing with the keyboard alone, in Chromium: the DiGA's authorization (PAR, then /authorize in the
// browser) sends the patient to the login form; password, TOTP code and consent are given with Tab,
// Shift+Tab, typing, Space and Enter only (no clicks, no fill), every control reached shows a visible focus
// indicator, and the browser ends on the DiGA's redirect_uri with a code and the state.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page, Request } from 'playwright-core';
import { ROOT } from '../../helpers/cli.ts';
import {
  authorizePath,
  parParams,
  post,
  removeCertificates,
  startHarness,
  type Harness,
} from '../oauth/harness.ts';
import { launchChromium } from '../../helpers/chromium.ts';

let h: Harness;
let browser: Browser | undefined;

before(async () => {
  h = await startHarness();
});
after(async () => {
  await browser?.close();
  await h.close();
  removeCertificates();
});

/** Whether the focused element matches `selector`, and its focus indicator (outline or box-shadow). */
async function focused(page: Page, selector: string) {
  // A string: the project compiles without the DOM library.
  const f = await page.evaluate(`(() => {
    const el = document.activeElement;
    if (!el || !el.matches(${JSON.stringify(selector)})) return { matches: false, outline: '', shadow: '' };
    const style = getComputedStyle(el);
    return { matches: true, outline: style.outlineStyle, shadow: style.boxShadow };
  })()`);
  return f as { matches: boolean; outline: string; shadow: string };
}

/** Tab (or Shift+Tab) until `selector` has the focus; asserts that the focus is visible there. */
async function tabTo(page: Page, selector: string, key: 'Tab' | 'Shift+Tab' = 'Tab'): Promise<void> {
  for (let i = 0; i < 25; i++) {
    await page.keyboard.press(key);
    const f = await focused(page, selector);
    if (!f.matches) continue;
    assert.ok(
      f.outline !== 'none' || f.shadow !== 'none',
      `${selector}: no visible focus (${JSON.stringify(f)})`,
    );
    return;
  }
  assert.fail(`${selector} not reached with ${key} on ${page.url()}`);
}

test('login, TOTP and consent of a pairing with the keyboard only', async () => {
  browser = await launchChromium();
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    javaScriptEnabled: false,
    locale: 'de-DE',
  });
  const page = await context.newPage();
  const patient = await h.addPatient();
  const c = h.clients[0]!;
  const { params, state } = await parParams(c);
  const par = await post(h, '/par', c, params);
  assert.equal(par.status, 201, par.text);

  await page.goto(`${h.url}${authorizePath(c, par.json().request_uri as string)}`);
  assert.match(page.url(), /\/account\/login\?tx=/);
  await tabTo(page, 'input[name=username]');
  await page.keyboard.type(patient.username);
  await tabTo(page, 'input[name=password]');
  await page.keyboard.type(patient.password);
  await tabTo(page, 'button[type=submit]');
  await Promise.all([page.waitForURL(/\/account\/login\/totp\?tx=/), page.keyboard.press('Enter')]);

  await tabTo(page, 'input[name=code]');
  await page.keyboard.type(await h.totp(patient.totpSecret));
  await Promise.all([page.waitForURL(/\/account\/consent\?tx=/), page.keyboard.press('Enter')]);

  // Past the choices to the buttons, back with Shift+Tab to tick the second data type, on to "Erlauben".
  await tabTo(page, 'button[value=deny]');
  await tabTo(page, 'input[name=miv][value=cgm]', 'Shift+Tab');
  await page.keyboard.press('Space');
  assert.equal(await page.locator('input[name=miv][value=cgm]').isChecked(), true);
  assert.equal(await page.locator('input[name=miv][value=bloodGlucose]').isChecked(), false);
  await tabTo(page, 'button[value=allow]');
  const dir = path.join(ROOT, 'test-artifacts', 'pages');
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, 'consent-keyboard.png'), fullPage: true });

  // The redirect to the DiGA leaves the test's network: the request's URL is the outcome.
  const toDiga = (r: Request) => r.url().startsWith(c.redirectUri);
  const [callback] = await Promise.all([
    page.waitForEvent('requestfailed', toDiga),
    page.keyboard.press('Enter'),
  ]);
  const cb = new URL(callback.url());
  assert.ok(cb.searchParams.get('code'), cb.href);
  assert.equal(cb.searchParams.get('state'), state);
  await page.waitForURL((u) => u.protocol === 'chrome-error:');

  // Logged in: the pairing is listed, for CGM values only.
  await page.goto(`${h.url}/account/pairings`);
  assert.match(page.url(), /\/account\/pairings$/);
  const row = page.locator('tr[data-status=active]');
  assert.equal(await row.count(), 1);
  assert.match(await row.innerText(), /Example DiGA 10001/);
  assert.match(await row.innerText(), /Kontinuierliche Glukosemessung/);
  assert.doesNotMatch(await row.innerText(), /Blutzuckermessung/);
});
