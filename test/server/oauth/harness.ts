// Test harness for the authorization server: real certificates (made once per test file with the dev
// certs module), a real SQLite file, the real HTTPS server with mTLS on a free port, a DiGA directory
// from a file or from a local HTTPS server, and a cookie-jar browser for the patient pages. Only time
// is mocked (ManualClock).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { generate as totpGenerate } from 'otplib';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../../config/load.ts';
import { openStore } from '../../../gateway/store/store.ts';
import { buildServer } from '../../../server/app.ts';
import { ManualClock } from '../../../server/clock.ts';
import {
  generateDevCertificates,
  makeClientCertificate,
  type DevCertificates,
} from '../../../server/dev-certs.ts';
import { createAccount } from '../../../server/pages/accounts.ts';
import { supportedScopes, MIV_SCOPE } from '../../../server/oauth/scopes.ts';
import { createServices } from '../../../server/start.ts';
import type { ServerServices } from '../../../server/services.ts';

export const ALL_SCOPES = supportedScopes(['bloodGlucose', 'cgm']);
export const BG_SCOPE = MIV_SCOPE.bloodGlucose;
export const CGM_SCOPE = MIV_SCOPE.cgm;

export interface TestClient {
  clientId: string;
  redirectUri: string;
  cert: string;
  key: string;
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): Record<string, unknown>;
}

/** One HTTPS request with an optional client certificate. */
export function request(
  url: string,
  opts: {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    ca: string;
    cert?: string;
    key?: string;
    agent?: https.Agent;
  },
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: opts.method ?? 'GET',
        headers: opts.headers,
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        agent: opts.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: () => JSON.parse(text) as Record<string, unknown>,
          });
        });
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** A fetch() for oauth4webapi's customFetch that presents a client certificate (mTLS). */
export function mtlsFetch(ca: string, client?: { cert: string; key: string }): typeof fetch {
  const agent = new https.Agent({ keepAlive: true, ca, cert: client?.cert, key: client?.key, maxSockets: 4 });
  const f = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => (headers[k] = v));
    let body: string | undefined;
    if (init?.body !== undefined && init.body !== null) body = String(init.body);
    const r = await request(url, { method: init?.method ?? 'GET', headers, body, ca, agent });
    const h = new Headers();
    for (const [k, v] of Object.entries(r.headers)) {
      if (v === undefined) continue;
      for (const x of Array.isArray(v) ? v : [v]) h.append(k, x);
    }
    const nullBody = r.status === 204 || r.status === 304 || r.text.length === 0;
    return new Response(nullBody ? null : r.text, { status: r.status, headers: h });
  };
  return f as typeof fetch;
}

/** A browser: cookie jar, no automatic redirects, HTML forms by hand. */
export class Browser {
  readonly cookies = new Map<string, string>();
  private readonly base: string;
  private readonly ca: string;

  constructor(base: string, ca: string) {
    this.base = base;
    this.ca = ca;
  }

  async go(method: string, pathOrUrl: string, form?: Record<string, string | string[]>): Promise<HttpResult> {
    const url = new URL(pathOrUrl, this.base).href;
    const headers: Record<string, string> = {};
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (form) {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
      body = p.toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const r = await request(url, { method, headers, body, ca: this.ca });
    const set = r.headers['set-cookie'];
    for (const c of Array.isArray(set) ? set : set ? [set] : []) {
      const [pair, ...attrs] = c.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i).trim();
      const value = pair!.slice(i + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '';
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return r;
  }

  get(p: string) {
    return this.go('GET', p);
  }

  post(p: string, form: Record<string, string | string[]>) {
    return this.go('POST', p, form);
  }
}

export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no CSRF token in page');
  return m[1]!;
}

export function location(r: HttpResult): string {
  const l = r.headers.location;
  if (typeof l !== 'string') throw new Error(`expected a redirect, got ${r.status}: ${r.text.slice(0, 200)}`);
  return l;
}

export function errorCodeOf(html: string): string | undefined {
  return /data-error="([^"]+)"/.exec(html)?.[1];
}

export interface HarnessOptions {
  /** Serve the directory from a local HTTPS server instead of a file. */
  httpsDirectory?: boolean;
  overrides?: Record<string, unknown>;
  /** Extra `server` settings merged over the harness's own (e.g. operatorApi). */
  server?: Record<string, unknown>;
}

export interface Harness {
  dir: string;
  certs: DevCertificates;
  clock: ManualClock;
  services: ServerServices;
  app: FastifyInstance;
  url: string;
  ca: string;
  clients: TestClient[];
  /** Client 3 is listed as retired. */
  retired: TestClient;
  /** A certificate nobody registered. */
  stranger: { cert: string; key: string };
  directoryFile: string;
  writeDirectory(mutate: (entries: Array<Record<string, unknown>>) => void): void;
  stopDirectoryServer(): Promise<void>;
  fetchFor(c: { cert: string; key: string } | undefined): typeof fetch;
  discover(fetchImpl: typeof fetch): Promise<oauth.AuthorizationServer>;
  addPatient(
    username?: string,
  ): Promise<{ username: string; password: string; totpSecret: string; patientId: string }>;
  totp(secret: string): Promise<string>;
  browser(): Browser;
  close(): Promise<void>;
}

/** Certificates shared by all harnesses of one test file. */
let certCache: { dir: string; certs: DevCertificates; stranger: { cert: string; key: string } } | undefined;

async function certificates() {
  if (!certCache) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-oauth-certs-'));
    // Ten years, not HDDT's 365-398 days: client certificates are checked for validity against the server
    // clock, and tests let one-year consents run out, several in a row, on the same harness.
    const certs = await generateDevCertificates({ outDir: dir, clients: 3, firstDigaId: 10001, days: 3650 });
    const s = await makeClientCertificate('urn:diga:bfarm:99999');
    certCache = { dir, certs, stranger: { cert: s.certPem, key: s.keyPem } };
  }
  return certCache;
}

export function removeCertificates(): void {
  if (certCache) fs.rmSync(certCache.dir, { recursive: true, force: true });
  certCache = undefined;
}

let userCounter = 0;

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const { certs, stranger } = await certificates();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-oauth-'));
  const clients: TestClient[] = certs.clients.map((c) => ({
    clientId: c.clientId,
    redirectUri: c.redirectUri,
    cert: c.certPem,
    key: c.keyPem,
  }));
  const directoryFile = path.join(dir, 'diga-directory.json');
  let directoryDoc = JSON.parse(fs.readFileSync(certs.directoryFile, 'utf8')) as {
    entries: Array<Record<string, unknown>>;
  };
  directoryDoc.entries[2]!.status = 'retired';
  // Client 2 is registered for blood glucose only.
  directoryDoc.entries[1]!.scopes = [BG_SCOPE, 'patient/Device.rs', 'patient/DeviceMetric.rs'];
  const writeDirectory = (mutate: (entries: Array<Record<string, unknown>>) => void) => {
    mutate(directoryDoc.entries);
    fs.writeFileSync(directoryFile, JSON.stringify(directoryDoc));
  };
  writeDirectory(() => undefined);

  let dirServer: https.Server | undefined;
  let source = directoryFile;
  if (opts.httpsDirectory) {
    dirServer = https.createServer({ cert: certs.serverCertPem, key: certs.serverKeyPem }, (_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(fs.readFileSync(directoryFile));
    });
    await new Promise<void>((r) => dirServer!.listen(0, '127.0.0.1', () => r()));
    source = `https://localhost:${(dirServer.address() as AddressInfo).port}/diga-directory.json`;
  }

  const config = loadConfig({
    env: {},
    overrides: {
      dataDir: dir,
      server: {
        enabled: true,
        host: '127.0.0.1',
        port: 0,
        issuer: 'https://localhost:1',
        directory: {
          source,
          caFile: opts.httpsDirectory ? certs.caFile : null,
          cacheSeconds: 600,
          timeoutMs: 2000,
        },
        login: {
          maxFailures: 3,
          lockoutSeconds: 60,
          maxLockoutSeconds: 600,
          sessionIdleMinutes: 15,
          sessionMaxHours: 8,
        },
        rateLimit: { max: 100000, windowMs: 1000 },
        ...(opts.server ?? {}),
      },
      ...(opts.overrides ?? {}),
    },
  });
  const clock = new ManualClock(Date.now());
  const store = openStore({ path: path.join(dir, 'hddt.sqlite') });
  const services = await createServices(config, { store, clock, logger: pino({ level: 'silent' }) });
  const app = await buildServer(services, { tls: { cert: certs.serverCertPem, key: certs.serverKeyPem } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  const url = `https://localhost:${port}`;
  config.server.issuer = url;
  const ca = certs.caCertPem;

  return {
    dir,
    certs,
    clock,
    services,
    app,
    url,
    ca,
    clients: clients.slice(0, 2),
    retired: clients[2]!,
    stranger,
    directoryFile,
    writeDirectory,
    async stopDirectoryServer() {
      if (!dirServer) return;
      dirServer.closeAllConnections();
      await new Promise<void>((r) => dirServer!.close(() => r()));
      dirServer = undefined;
    },
    fetchFor: (c) => mtlsFetch(ca, c),
    async discover(fetchImpl) {
      const issuer = new URL(url);
      const res = await oauth.discoveryRequest(issuer, {
        algorithm: 'oauth2',
        [oauth.customFetch]: fetchImpl,
      });
      return oauth.processDiscoveryResponse(issuer, res);
    },
    async addPatient(username) {
      const name = username ?? `patient-${++userCounter}`;
      const password = `pw-${name}-correct-horse`;
      const acc = await createAccount(store, name, password, clock.now().getTime());
      return { username: name, password, totpSecret: acc.totpSecret, patientId: acc.patient.id };
    },
    totp: (secret) => totpGenerate({ secret, epoch: Math.floor(clock.now().getTime() / 1000) }),
    browser: () => new Browser(url, ca),
    async close() {
      await app.close();
      if (dirServer) {
        dirServer.closeAllConnections();
        await new Promise<void>((r) => dirServer!.close(() => r()));
      }
      services.directory.stop();
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
      directoryDoc = { entries: [] };
    },
  };
}

/** Drives login (password + TOTP) and consent through the pages; returns the callback URL. */
export async function approveInBrowser(
  hh: Harness,
  browser: Browser,
  authorizeUrl: string,
  patient: { username: string; password: string; totpSecret: string },
  mivs: string[],
): Promise<URL> {
  let r = await browser.get(authorizeUrl);
  assert.equal(r.status, 303);
  let next = location(r);
  if (next.startsWith('/account/login')) {
    r = await browser.get(next);
    assert.equal(r.status, 200);
    const tx = new URL(next, hh.url).searchParams.get('tx')!;
    r = await browser.post('/account/login', {
      _csrf: csrfOf(r.text),
      tx,
      username: patient.username,
      password: patient.password,
    });
    assert.equal(r.status, 303, r.text);
    next = location(r);
    assert.match(next, /^\/account\/login\/totp\?tx=/);
    r = await browser.get(next);
    assert.equal(r.status, 200);
    r = await browser.post('/account/login/totp', {
      _csrf: csrfOf(r.text),
      tx,
      code: await hh.totp(patient.totpSecret),
    });
    assert.equal(r.status, 303, r.text);
    next = location(r);
  }
  assert.match(next, /^\/account\/consent\?tx=/);
  const tx = new URL(next, hh.url).searchParams.get('tx')!;
  r = await browser.get(next);
  assert.equal(r.status, 200);
  r = await browser.post('/account/consent', { _csrf: csrfOf(r.text), tx, miv: mivs, decision: 'allow' });
  assert.equal(r.status, 303, r.text);
  return new URL(location(r));
}

// ---- raw protocol helpers (for the attack suite: exact status codes and error bodies) ----------------

/** null = no client certificate. */
export type Cred = { cert: string; key: string } | null;

export function post(
  hh: Harness,
  path: string,
  cred: Cred | undefined,
  params: Record<string, string | string[]>,
) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
  return request(`${hh.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: p.toString(),
    ca: hh.ca,
    cert: cred?.cert,
    key: cred?.key,
  });
}

export async function parParams(c: TestClient, scope = ALL_SCOPES.join(' ')) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  return {
    verifier,
    state,
    params: {
      client_id: c.clientId,
      response_type: 'code',
      redirect_uri: c.redirectUri,
      scope,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    } as Record<string, string>,
  };
}

export function authorizePath(c: TestClient, requestUri: string): string {
  return `/authorize?client_id=${encodeURIComponent(c.clientId)}&request_uri=${encodeURIComponent(requestUri)}`;
}

/** PAR + patient approval: a fresh authorization code (not yet exchanged). */
export async function codeFor(hh: Harness, c: TestClient, mivs = ['bloodGlucose']) {
  const { verifier, state, params } = await parParams(c);
  const r = await post(hh, '/par', c, params);
  assert.equal(r.status, 201, r.text);
  const requestUri = r.json().request_uri as string;
  const patient = await hh.addPatient();
  const browser = hh.browser();
  const cb = await approveInBrowser(hh, browser, authorizePath(c, requestUri), patient, mivs);
  const code = cb.searchParams.get('code');
  assert.ok(code, cb.href);
  assert.equal(cb.searchParams.get('state'), state);
  return { code, verifier, patient, browser };
}

export function exchange(hh: Harness, c: TestClient, code: string, verifier: string, cred: Cred = c) {
  return post(hh, '/token', cred, {
    grant_type: 'authorization_code',
    client_id: c.clientId,
    code,
    code_verifier: verifier,
    redirect_uri: c.redirectUri,
  });
}

export function refresh(hh: Harness, c: TestClient, refreshToken: string, cred: Cred = c) {
  return post(hh, '/token', cred, {
    grant_type: 'refresh_token',
    client_id: c.clientId,
    refresh_token: refreshToken,
  });
}

/** A complete pairing: tokens of a fresh patient. */
export async function pair(hh: Harness, c: TestClient, mivs = ['bloodGlucose']) {
  const got = await codeFor(hh, c, mivs);
  const r = await exchange(hh, c, got.code, got.verifier);
  assert.equal(r.status, 200, r.text);
  const body = r.json() as { access_token: string; refresh_token: string; sub: string; scope: string };
  return { ...got, ...body };
}
