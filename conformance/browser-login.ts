// The patient's side of the code flow in Chromium (playwright-core): one browser profile per test patient, in
// a fresh user data directory, so the patient logs in once per run and later authorizations find the session,
// as a real browser would. The DDR's certificate is trusted by its public key only (the SPKI hash of the
// certificate the kit verified against --ca), never by turning certificate checks off. The redirect back to
// the DiGA's redirect_uri is caught before it leaves the browser: its URL is the result.
import fs from 'node:fs';
import path from 'node:path';
import { generate as totpGenerate } from 'otplib';
import type { BrowserContext, BrowserType, Page } from 'playwright-core';
import type { Exchange } from './check.ts';
import { fillValue, type LoginScript, type PatientKey } from './login-script.ts';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface BrowserOptions {
  chromiumPath: string;
  /** base64 SHA-256 of the DDR's certificate public key(s). */
  spki: string[];
  /** A person logs in (a visible window, no script). */
  manual: boolean;
  /** Profiles are made below this folder. */
  dir: string;
  log: (line: string) => void;
}

export class BrowserLoginError extends Error {}

const TOTP_STEP_MS = 30_000;
const MAX_PAGES = 12;

export class PatientBrowsers {
  private readonly contexts = new Map<PatientKey, BrowserContext>();
  /** The TOTP step last used per secret: a DDR accepts each step once. */
  private readonly usedSteps = new Map<string, number>();
  /** What the browser loaded, as evidence (bodies are not kept). */
  readonly exchanges: Exchange[] = [];
  /** TOTP codes typed, masked in the report. */
  readonly secrets: string[] = [];

  private readonly opts: BrowserOptions;

  constructor(opts: BrowserOptions) {
    this.opts = opts;
  }

  private async context(patient: PatientKey): Promise<BrowserContext> {
    const have = this.contexts.get(patient);
    if (have) return have;
    let chromium: BrowserType;
    try {
      ({ chromium } = await import('playwright-core'));
    } catch {
      throw new BrowserLoginError(
        'the patient login needs playwright-core (a development dependency of hddt-gateway): install it beside the ' +
          'package (npm install playwright-core) or run the kit from a checkout',
      );
    }
    if (!fs.existsSync(this.opts.chromiumPath)) {
      throw new BrowserLoginError(`Chromium not found at ${this.opts.chromiumPath} (give --chromium)`);
    }
    const profile = fs.mkdtempSync(path.join(this.opts.dir, `chromium-${patient}-`));
    const ctx = await chromium.launchPersistentContext(profile, {
      executablePath: this.opts.chromiumPath,
      headless: !this.opts.manual,
      args: [...CHROMIUM_ARGS, `--ignore-certificate-errors-spki-list=${this.opts.spki.join(',')}`],
    });
    this.contexts.set(patient, ctx);
    return ctx;
  }

  /** Opens the authorize URL and works the pages until the redirect to `redirectUri`; returns that URL. */
  async authorize(
    patient: PatientKey,
    authorizeUrl: string,
    redirectUri: string,
    script: LoginScript | undefined,
  ): Promise<URL> {
    const ctx = await this.context(patient);
    const page = await ctx.newPage();
    let callback: string | undefined;
    const target = redirectUri.split(/[?#]/)[0]!;
    await page.route(
      (u) => u.href.startsWith(target),
      (route) => {
        callback = route.request().url();
        return route.fulfill({
          status: 200,
          contentType: 'text/plain',
          body: 'redirect received by the kit',
        });
      },
    );
    page.on('response', (r) => {
      if (r.url().startsWith(target)) return;
      this.exchanges.push({
        request: {
          method: r.request().method(),
          url: r.url(),
          headers: {},
          identity: `browser (patient ${patient})`,
        },
        response: { status: r.status(), headers: r.headers(), body: '' },
        durationMs: 0,
      });
    });
    const timeoutMs = script?.timeoutMs ?? 300_000;
    try {
      if (this.opts.manual)
        this.opts.log(`log in as test patient ${patient.toUpperCase()} in the browser window`);
      await page.goto(authorizeUrl, { timeout: timeoutMs }).catch((err: Error) => {
        if (!callback) throw err;
      });
      if (script && !this.opts.manual) await this.work(page, patient, script, () => callback !== undefined);
      const deadline = Date.now() + timeoutMs;
      while (!callback && Date.now() < deadline) await page.waitForTimeout(100);
      if (!callback)
        throw new BrowserLoginError(
          `no redirect to the redirect_uri within ${timeoutMs} ms (at ${page.url()})`,
        );
      return new URL(callback);
    } finally {
      await page.close().catch(() => undefined);
    }
  }

  /** Runs the script's pages until the callback arrives. */
  private async work(
    page: Page,
    patient: PatientKey,
    script: LoginScript,
    done: () => boolean,
  ): Promise<void> {
    const creds = script.patients[patient];
    if (!creds) throw new BrowserLoginError(`the login script has no credentials for patient ${patient}`);
    const visits = new Map<string, number>();
    const deadline = Date.now() + script.timeoutMs;
    for (let n = 0; n < MAX_PAGES && !done(); n++) {
      const current = await this.recognise(page, script, deadline, done);
      if (!current) break;
      const seen = (visits.get(current.name) ?? 0) + 1;
      visits.set(current.name, seen);
      if (seen > 3)
        throw new BrowserLoginError(`the ${current.name} page came back ${seen} times (wrong credentials?)`);
      // a TOTP page shown again: that step was used already (by an earlier run); wait for the next one
      const needsTotp = current.steps.some((s) => s.value?.includes('{totp}'));
      const totp = needsTotp ? await this.totpFor(creds.totpSecret, seen > 1) : undefined;
      for (const step of current.steps) {
        if (step.fill)
          await page.fill(
            step.fill,
            fillValue(step.value ?? '', creds, () => totp ?? ''),
          );
        else if (step.check) await page.check(step.check);
        else if (step.checkAll) for (const box of await page.locator(step.checkAll).all()) await box.check();
        else if (step.click) await page.click(step.click, { noWaitAfter: false });
      }
      await page.waitForLoadState('domcontentloaded').catch(() => undefined);
    }
  }

  private async recognise(page: Page, script: LoginScript, deadline: number, done: () => boolean) {
    while (Date.now() < deadline) {
      if (done()) return undefined;
      for (const p of script.pages) {
        if (
          (await page
            .locator(p.match)
            .count()
            .catch(() => 0)) > 0
        )
          return p;
      }
      await page.waitForTimeout(150);
    }
    const title = await page.title().catch(() => '');
    throw new BrowserLoginError(`no page of the login script matches ${page.url()} ("${title}")`);
  }

  /** A TOTP code of a step not used before in this run (waiting for the next step when needed). */
  private async totpFor(secret: string | undefined, forceNext: boolean): Promise<string | undefined> {
    if (!secret) return undefined;
    let step = Math.floor(Date.now() / TOTP_STEP_MS);
    const used = this.usedSteps.get(secret);
    if (forceNext || used === step) {
      const wait = (step + 1) * TOTP_STEP_MS - Date.now() + 300;
      this.opts.log(`waiting ${Math.ceil(wait / 1000)} s for the next TOTP step`);
      await new Promise((r) => setTimeout(r, wait));
      step = Math.floor(Date.now() / TOTP_STEP_MS);
    }
    this.usedSteps.set(secret, step);
    const code = await totpGenerate({ secret, epoch: Math.floor(Date.now() / 1000) });
    this.secrets.push(code);
    return code;
  }

  async close(): Promise<void> {
    for (const c of this.contexts.values()) await c.close().catch(() => undefined);
    this.contexts.clear();
  }
}
