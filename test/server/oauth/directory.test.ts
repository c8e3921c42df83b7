// DiGA directory client: document validation, exact certificate pinning, cache period, stale cache with
// an unreachable HTTPS source (DirectoryUnavailableError), and revocation of removed/retired clients.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import https from 'node:https';
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { ManualClock } from '../../../server/clock.ts';
import { generateDevCertificates, type DevCertificates } from '../../../server/dev-certs.ts';
import {
  DigaDirectory,
  DirectoryFormatError,
  DirectoryUnavailableError,
  parseDirectory,
} from '../../../server/oauth/directory.ts';
import { loadConfig } from '../../../config/load.ts';
import { openStore } from '../../../gateway/store/store.ts';
import { createServices } from '../../../server/start.ts';
import { issueTestTokens } from '../../../bench/rigs/tokens.ts';
import { AccessTokenError, verifyAccessToken } from '../../../server/oauth/access.ts';

let dir: string;
let certs: DevCertificates;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-directory-'));
  certs = await generateDevCertificates({ outDir: path.join(dir, 'certs'), clients: 2 });
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

function doc(mutate?: (e: Array<Record<string, unknown>>) => void): string {
  const d = JSON.parse(fs.readFileSync(certs.directoryFile, 'utf8')) as {
    entries: Array<Record<string, unknown>>;
  };
  mutate?.(d.entries);
  return JSON.stringify(d);
}

describe('parseDirectory', () => {
  it('reads the entries of the dev directory and pins the exact certificate', () => {
    const m = parseDirectory(doc());
    const [a, b] = certs.clients;
    const ea = m.get(a!.clientId)!;
    assert.equal(ea.status, 'active');
    assert.deepEqual(ea.redirectUris, [a!.redirectUri]);
    assert.equal(ea.matchesCertificate(new X509Certificate(a!.certPem).raw), true);
    assert.equal(ea.matchesCertificate(new X509Certificate(b!.certPem).raw), false);
    assert.equal(ea.matchesCertificate(undefined), false);
    assert.equal(ea.matchesCertificate(Buffer.alloc(0)), false);
  });

  it('accepts two certificates during a renewal overlap', () => {
    const [a, b] = certs.clients;
    const m = parseDirectory(doc((e) => (e[0]!.certificate = a!.certPem + b!.certPem)));
    const ea = m.get(a!.clientId)!;
    assert.equal(ea.matchesCertificate(new X509Certificate(a!.certPem).raw), true);
    assert.equal(ea.matchesCertificate(new X509Certificate(b!.certPem).raw), true);
  });

  it('rejects malformed documents', () => {
    const bad: Array<[string, string]> = [
      ['not json', '{'],
      ['no entries', '{}'],
      ['bad client id', doc((e) => (e[0]!.client_id = 'urn:diga:bfarm:123'))],
      ['bad status', doc((e) => (e[0]!.status = 'paused'))],
      ['redirect with fragment', doc((e) => (e[0]!.redirect_uris = ['https://a.example/cb#x']))],
      ['no certificate', doc((e) => delete e[0]!.certificate)],
      [
        'broken certificate',
        doc((e) => (e[0]!.certificate = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----')),
      ],
      ['duplicate', doc((e) => e.push({ ...e[0]! }))],
      ['scopes not strings', doc((e) => (e[0]!.scopes = [1]))],
    ];
    for (const [name, text] of bad) assert.throws(() => parseDirectory(text), DirectoryFormatError, name);
  });
});

describe('DigaDirectory cache', () => {
  it('serves the cache while fresh, fails when stale and unreachable, recovers when back', async () => {
    const file = path.join(dir, 'served.json');
    fs.writeFileSync(file, doc());
    const server = https.createServer({ cert: certs.serverCertPem, key: certs.serverKeyPem }, (_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(fs.readFileSync(file));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
    const d = new DigaDirectory({
      source: `https://localhost:${port}/d.json`,
      ca: certs.caCertPem,
      cacheSeconds: 3600,
      timeoutMs: 2000,
      clock,
      retryAfterFailureMs: 1000,
    });
    const id = certs.clients[0]!.clientId;
    assert.equal((await d.lookup(id))?.status, 'active');
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    clock.advance(3_599_000);
    assert.equal((await d.lookup(id))?.status, 'active', 'fresh cache answers without the source');
    clock.advance(2_000);
    await assert.rejects(d.lookup(id), DirectoryUnavailableError);
    // Fails fast within the retry pause, then tries again.
    await assert.rejects(d.lookup(id), DirectoryUnavailableError);
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    clock.advance(1_500);
    assert.equal((await d.lookup(id))?.status, 'active');
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('an HTTPS source with an untrusted certificate counts as unavailable', async () => {
    const server = https.createServer({ cert: certs.serverCertPem, key: certs.serverKeyPem }, (_q, res) =>
      res.end(doc()),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const d = new DigaDirectory({
      source: `https://localhost:${(server.address() as AddressInfo).port}/`,
      cacheSeconds: 60,
      timeoutMs: 2000,
      clock: new ManualClock(),
    });
    await assert.rejects(d.lookup('urn:diga:bfarm:10001'), DirectoryUnavailableError);
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('revokes pairings of clients that were removed or retired when the cache refreshes', async () => {
    const file = path.join(dir, 'local.json');
    fs.writeFileSync(file, doc());
    const data = path.join(dir, 'data');
    const config = loadConfig({
      env: {},
      overrides: { dataDir: data, server: { directory: { source: file, cacheSeconds: 60 } } },
    });
    const clock = new ManualClock();
    const services = await createServices(config, {
      store: openStore({ path: path.join(data, 'db.sqlite') }),
      clock,
      logger: pino({ level: 'silent' }),
    });
    const [a, b] = certs.clients;
    await services.directory.refresh();
    const ta = await issueTestTokens(services, { clientId: a!.clientId });
    const tb = await issueTestTokens(services, { clientId: b!.clientId });
    fs.writeFileSync(
      file,
      doc((e) => {
        e[1]!.status = 'retired';
      }),
    );
    clock.advance(61_000);
    await services.directory.lookup(a!.clientId);
    await verifyAccessToken(services, ta.accessToken);
    await assert.rejects(verifyAccessToken(services, tb.accessToken), (e: unknown) => {
      return e instanceof AccessTokenError && e.reason === 'grant_inactive';
    });
    fs.writeFileSync(
      file,
      doc((e) => e.splice(0, 1)),
    );
    clock.advance(61_000);
    await services.directory.refresh();
    await assert.rejects(verifyAccessToken(services, ta.accessToken), AccessTokenError);
    services.store.close();
  });
});
