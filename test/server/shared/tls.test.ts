// The TLS profile (BSI TR-02102-2): TLS 1.2/1.3 only, ECDHE + AES-GCM only, client certificates
// requested but not chain-validated (self-signed DiGA certificates reach the application).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import https from 'node:https';
import tls from 'node:tls';
import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { generateDevCertificates, type DevCertificates } from '../../../server/dev-certs.ts';
import {
  peerCertificate,
  refuseRenegotiation,
  supportedCurves,
  tlsServerOptions,
} from '../../../server/shared/tls.ts';

let dir: string;
let certs: DevCertificates;
let server: https.Server;
let port: number;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-tls-'));
  certs = await generateDevCertificates({ outDir: dir, clients: 1 });
  server = https.createServer(
    tlsServerOptions({ cert: certs.serverCertPem, key: certs.serverKeyPem }),
    (req, res) => {
      const cert = (req.socket as tls.TLSSocket).getPeerCertificate();
      res.end(cert && cert.raw ? 'client-cert' : 'no-cert');
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  fs.rmSync(dir, { recursive: true, force: true });
});

function handshake(opts: tls.ConnectionOptions): Promise<{ protocol: string | null; cipher: string }> {
  return new Promise((resolve, reject) => {
    const s = tls.connect(
      { host: '127.0.0.1', port, servername: 'localhost', ca: certs.caCertPem, ...opts },
      () => {
        const r = { protocol: s.getProtocol(), cipher: s.getCipher().name };
        s.end();
        resolve(r);
      },
    );
    s.on('error', reject);
  });
}

describe('TLS profile', () => {
  it('offers NIST and Brainpool curves', () => {
    const c = supportedCurves();
    assert.ok(c.includes('P-256') && c.includes('P-384'));
    assert.ok(c.includes('brainpoolP256r1'));
  });

  it('refuses TLS 1.0 and 1.1', async () => {
    await assert.rejects(
      handshake({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }),
    );
  });

  it('refuses CBC and non-ECDHE suites on TLS 1.2', async () => {
    await assert.rejects(
      handshake({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA256:AES128-GCM-SHA256' }),
    );
  });

  it('negotiates ECDHE-ECDSA-AES-GCM on TLS 1.2 and AES-GCM on TLS 1.3', async () => {
    const t12 = await handshake({ maxVersion: 'TLSv1.2' });
    assert.equal(t12.protocol, 'TLSv1.2');
    assert.match(t12.cipher, /^ECDHE-ECDSA-AES(128|256)-GCM-SHA(256|384)$/);
    const t13 = await handshake({});
    assert.equal(t13.protocol, 'TLSv1.3');
    assert.match(t13.cipher, /^TLS_AES_(128|256)_GCM_SHA(256|384)$/);
    await assert.rejects(handshake({ ciphers: 'TLS_CHACHA20_POLY1305_SHA256', minVersion: 'TLSv1.3' }));
  });

  it('accepts a self-signed client certificate and exposes it to the application', async () => {
    const c = certs.clients[0]!;
    const body = await new Promise<string>((resolve, reject) => {
      https
        .get(`https://localhost:${port}/`, { ca: certs.caCertPem, cert: c.certPem, key: c.keyPem }, (res) => {
          let b = '';
          res.on('data', (d: Buffer) => (b += d.toString()));
          res.on('end', () => resolve(b));
        })
        .on('error', reject);
    });
    assert.equal(body, 'client-cert');
  });
});

describe('client certificate per connection', () => {
  let pinned: https.Server;
  let pinnedPort: number;
  before(async () => {
    pinned = https.createServer(
      tlsServerOptions({ cert: certs.serverCertPem, key: certs.serverKeyPem }),
      (req, res) => {
        const der = peerCertificate(req.socket)?.der;
        res.end(der ? crypto.createHash('sha256').update(der).digest('hex') : 'none');
      },
    );
    refuseRenegotiation(pinned);
    await new Promise<void>((r) => pinned.listen(0, '127.0.0.1', () => r()));
    pinnedPort = (pinned.address() as AddressInfo).port;
  });
  after(async () => {
    pinned.closeAllConnections();
    await new Promise<void>((r) => pinned.close(() => r()));
  });

  /** A keep-alive TLS 1.2 connection that sends requests one by one and reads the bodies. */
  function connection(opts: tls.ConnectionOptions) {
    const s = tls.connect({
      host: '127.0.0.1',
      port: pinnedPort,
      servername: 'localhost',
      ca: certs.caCertPem,
      maxVersion: 'TLSv1.2',
      ...opts,
    });
    let buffered = '';
    s.on('data', (d: Buffer) => (buffered += d.toString()));
    const closed = new Promise<void>((r) => s.on('close', () => r()));
    s.on('error', () => {});
    const get = async (): Promise<string> => {
      buffered = '';
      s.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
      for (;;) {
        const m = /\r\n\r\n/.exec(buffered);
        const len = /content-length: (\d+)/i.exec(buffered);
        if (m && len && buffered.length >= m.index + 4 + Number(len[1]))
          return buffered.slice(m.index + 4, m.index + 4 + Number(len[1]));
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    return { s, get, closed };
  }

  it('is the certificate of the handshake on every request of the connection, or none', async () => {
    const c = certs.clients[0]!;
    const expected = crypto
      .createHash('sha256')
      .update(new crypto.X509Certificate(c.certPem).raw)
      .digest('hex');
    const withCert = connection({ cert: c.certPem, key: c.keyPem });
    assert.equal(await withCert.get(), expected);
    assert.equal(await withCert.get(), expected);
    withCert.s.end();
    const without = connection({});
    assert.equal(await without.get(), 'none');
    assert.equal(await without.get(), 'none');
    without.s.end();
  });

  it(
    'cannot change by TLS 1.2 renegotiation: the server closes the connection',
    { timeout: 10_000 },
    async () => {
      const conn = connection({});
      assert.equal(await conn.get(), 'none');
      // a renegotiation could bring another certificate: the connection must not live on after one
      conn.s.renegotiate({ rejectUnauthorized: false }, () => {});
      await conn.closed;
      assert.ok(conn.s.destroyed);
    },
  );
});
