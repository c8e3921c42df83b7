// Stands in for the patient's browser in demos and tests: opens the authorize URL, logs in on the patient
// pages (password, then the current TOTP code from the secret), ticks the MIVs on the consent page and
// submits it. Forms are read from the HTML (CSRF token, hidden fields); cookies are kept in a jar. The
// final redirect to the DiGA's redirect_uri is not followed: its Location is the callback URL.
import { generate as totpGenerate } from 'otplib';
import { DigaClientError } from './errors.ts';
import { header, MtlsHttp, type HttpResponse } from './http.ts';
import type { Miv } from './hddt.ts';

export interface PatientCredentials {
  username: string;
  password: string;
  /** Base32 TOTP secret, as printed by `hddt-gateway patient add`. */
  totpSecret: string;
}

export interface BrowserLoginOptions {
  /** The CA the gateway's certificate chains to. */
  ca: string;
  /** MIVs to tick on the consent page (default: all offered). */
  consent?: readonly Miv[];
  /** Press "Ablehnen" instead (for tests of the denied path). */
  deny?: boolean;
  now?: () => number;
  /** Waits until the next TOTP step when a code was refused (the server refuses a step used before). */
  sleep?: (ms: number) => Promise<void>;
}

const TOTP_STEP_MS = 30_000;

class CookieJar {
  private readonly cookies = new Map<string, string>();

  header(): string | undefined {
    return this.cookies.size > 0 ? [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') : undefined;
  }

  take(res: HttpResponse): void {
    const set = res.headers['set-cookie'];
    for (const c of Array.isArray(set) ? set : set ? [set] : []) {
      const [pair, ...attrs] = c.split(';');
      const i = pair!.indexOf('=');
      if (i <= 0) continue;
      const name = pair!.slice(0, i).trim();
      const value = pair!.slice(i + 1).trim();
      if (value === '' || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a))) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

function decodeEntities(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The hidden inputs of the first form posting to `action`. */
function formFields(html: string, action: string): Record<string, string> {
  const start = html.indexOf(`action="${action}"`);
  if (start < 0) throw new DigaClientError('protocol', `the page has no form posting to ${action}`);
  const end = html.indexOf('</form>', start);
  const form = html.slice(start, end < 0 ? undefined : end);
  const out: Record<string, string> = {};
  for (const m of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
    out[m[1]!] = decodeEntities(m[2]!);
  }
  return out;
}

function offeredMivs(html: string): Miv[] {
  return [...html.matchAll(/name="miv" value="([^"]+)"/g)].map((m) => m[1] as Miv);
}

export class PatientBrowser {
  private readonly http: MtlsHttp;
  private readonly jar = new CookieJar();

  private readonly origin: string;

  constructor(origin: string, ca: string) {
    this.origin = origin;
    this.http = new MtlsHttp({ ca });
  }

  async go(method: 'GET' | 'POST', target: string, form?: Record<string, string | string[]>) {
    const url = new URL(target, this.origin).href;
    const headers: Record<string, string> = {};
    const cookie = this.jar.header();
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (form) {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
      body = p.toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await this.http.request(url, { method, headers, body });
    this.jar.take(res);
    return res;
  }

  close(): void {
    this.http.close();
  }
}

function redirectOf(res: HttpResponse, what: string): string {
  const loc = header(res, 'location');
  if ((res.status === 302 || res.status === 303) && loc) return loc;
  const code = /data-error="([^"]+)"/.exec(res.text)?.[1];
  throw new DigaClientError(
    res.status === 401 ? 'login_failed' : 'protocol',
    `${what}: HTTP ${res.status}${code ? ` (${code})` : ''}`,
  );
}

/**
 * Drives the patient pages from the authorize URL to the redirect back to the DiGA; returns that callback
 * URL (with `code` and `state`, or `error`).
 */
export async function loginAndConsent(
  authorizeUrl: string,
  patient: PatientCredentials,
  opts: BrowserLoginOptions,
): Promise<URL> {
  const origin = new URL(authorizeUrl).origin;
  const browser = new PatientBrowser(origin, opts.ca);
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  try {
    let next = redirectOf(await browser.go('GET', authorizeUrl), 'authorize');
    if (next.startsWith('/account/login')) {
      let page = await browser.go('GET', next);
      if (page.status !== 200) throw new DigaClientError('protocol', `login page: HTTP ${page.status}`);
      next = redirectOf(
        await browser.go('POST', '/account/login', {
          ...formFields(page.text, '/account/login'),
          username: patient.username,
          password: patient.password,
        }),
        'login (username and password)',
      );
      if (!next.startsWith('/account/login/totp')) {
        throw new DigaClientError('login_failed', `login: unexpected next page ${next.split('?')[0]}`);
      }
      // One retry in the next time step: the server accepts each TOTP step once.
      for (let attempt = 0; ; attempt++) {
        page = await browser.go('GET', next);
        if (page.status !== 200) throw new DigaClientError('protocol', `TOTP page: HTTP ${page.status}`);
        const code = await totpGenerate({ secret: patient.totpSecret, epoch: Math.floor(now() / 1000) });
        const res = await browser.go('POST', '/account/login/totp', {
          ...formFields(page.text, '/account/login/totp'),
          code,
        });
        if (res.status === 401 && attempt === 0) {
          await sleep(TOTP_STEP_MS - (now() % TOTP_STEP_MS) + 500);
          continue;
        }
        next = redirectOf(res, 'login (TOTP code)');
        break;
      }
    }
    if (!next.startsWith('/account/consent')) {
      throw new DigaClientError('login_failed', `expected the consent page, got ${next.split('?')[0]}`);
    }
    const page = await browser.go('GET', next);
    if (page.status !== 200) throw new DigaClientError('protocol', `consent page: HTTP ${page.status}`);
    const offered = offeredMivs(page.text);
    const chosen = opts.consent ? offered.filter((m) => opts.consent!.includes(m)) : offered;
    const res = await browser.go('POST', '/account/consent', {
      ...formFields(page.text, '/account/consent'),
      miv: chosen,
      decision: opts.deny ? 'deny' : 'allow',
    });
    const loc = redirectOf(res, 'consent');
    return new URL(loc, origin);
  } finally {
    browser.close();
  }
}
