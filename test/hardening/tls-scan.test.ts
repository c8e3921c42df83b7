// A TLS scan of the real HTTPS server with `openssl s_client` (a client nobody here wrote): only TLS 1.2 and
// 1.3 are offered, and exactly the configured BSI TR-02102-2 suites and curves negotiate. The server runs once
// with its ECDSA dev certificate and once with an RSA certificate (made by openssl), so every configured
// TLS 1.2 suite is tried with the key it needs. Every TLS 1.2 suite this OpenSSL knows for the certificate's
// key type (and the anonymous ones) is tried one by one: the accepted set must equal the configured set.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../server/app.ts';
import { supportedCurves, TLS12_CIPHERS, TLS13_CIPHERS } from '../../server/shared/tls.ts';
import { startHardeningServer, type HardeningServer } from './harness.ts';

let h: HardeningServer;
let rsaApp: FastifyInstance;
let rsaPort: number;
let clientCert: string;
let clientKey: string;
let caFile: string;

function openssl(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    // stdin is /dev/null: s_client ends right after the handshake
    const child = spawn('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out });
    });
  });
}

before(async () => {
  h = await startHardeningServer();
  const dir = path.join(h.ds.dir, 'rsa');
  fs.mkdirSync(dir);
  const key = path.join(dir, 'server.key');
  const crt = path.join(dir, 'server.crt');
  const made = await openssl([
    'req', '-x509', '-newkey', 'rsa:3072', '-nodes', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-days', '2', '-keyout', key, '-out', crt,
  ]); // prettier-ignore
  assert.equal(made.code, 0, made.out);
  rsaApp = await buildServer(h.services, { tls: { cert: fs.readFileSync(crt), key: fs.readFileSync(key) } });
  await rsaApp.listen({ host: '127.0.0.1', port: 0 });
  rsaPort = (rsaApp.server.address() as AddressInfo).port;
  const c = h.certs.clients[0]!;
  clientCert = c.certFile;
  clientKey = c.keyFile;
  caFile = h.certs.caFile;
});

after(async () => {
  await rsaApp?.close();
  await h?.close();
});

interface Handshake {
  ok: boolean;
  protocol?: string;
  cipher?: string;
  out: string;
}

/** One handshake with `openssl s_client -brief`, presenting the DiGA client certificate unless `noCert`. */
async function handshake(port: number, args: string[], noCert = false): Promise<Handshake> {
  const cred = noCert ? [] : ['-cert', clientCert, '-key', clientKey];
  const r = await openssl([
    's_client', '-brief', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost',
    '-CAfile', caFile, '-verify_quiet', ...cred, ...args,
  ]); // prettier-ignore
  const ok = r.code === 0 && r.out.includes('CONNECTION ESTABLISHED');
  return {
    ok,
    protocol: /Protocol version: (\S+)/.exec(r.out)?.[1],
    cipher: /Ciphersuite: (\S+)/.exec(r.out)?.[1],
    out: r.out,
  };
}

/** Runs `fn` over `items`, four at a time. */
async function pool<T, R>(items: T[], fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return out;
}

/** TLS 1.2 suite names this OpenSSL knows, by authentication (`Au=`). */
async function tls12Suites(au: string[]): Promise<string[]> {
  const r = await openssl(['ciphers', '-v', 'ALL:COMPLEMENTOFALL:@SECLEVEL=0']);
  assert.equal(r.code, 0, r.out);
  return r.out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length > 3 && f[1] !== 'TLSv1.3' && au.includes(f[3]!.replace('Au=', '')))
    .map((f) => f[0]!);
}

test('TLS 1.0 and 1.1 handshakes fail; TLS 1.2 and 1.3 succeed', async () => {
  for (const port of [h.port, rsaPort]) {
    for (const v of ['-tls1', '-tls1_1']) {
      const r = await handshake(port, [v, '-cipher', 'ALL:@SECLEVEL=0']);
      assert.equal(r.ok, false, `${v} on ${port}: ${r.out}`);
    }
    const t12 = await handshake(port, ['-tls1_2']);
    assert.ok(t12.ok, t12.out);
    assert.equal(t12.protocol, 'TLSv1.2');
    const t13 = await handshake(port, ['-tls1_3']);
    assert.ok(t13.ok, t13.out);
    assert.equal(t13.protocol, 'TLSv1.3');
  }
});

test('TLS 1.2: of every suite OpenSSL knows, exactly the configured ECDHE + AES-GCM suites negotiate', async () => {
  for (const [port, au, wanted] of [
    [h.port, ['ECDSA', 'None'], TLS12_CIPHERS.filter((c) => c.includes('ECDSA'))],
    [rsaPort, ['RSA', 'None'], TLS12_CIPHERS.filter((c) => c.includes('-RSA-'))],
  ] as const) {
    const suites = await tls12Suites([...au]);
    assert.ok(suites.length > 20, `${suites.length} suites to try`);
    for (const w of wanted) assert.ok(suites.includes(w), `${w} is among the tried suites`);
    // the named weak ones are among those tried
    if ((au as readonly string[]).includes('RSA')) {
      for (const weak of [
        'AES128-SHA',
        'AES128-GCM-SHA256',
        'ECDHE-RSA-CHACHA20-POLY1305',
        'ECDHE-RSA-AES128-SHA',
      ]) {
        assert.ok(suites.includes(weak), weak);
      }
    }
    const results = await pool(suites, (s) => handshake(port, ['-tls1_2', '-cipher', `${s}@SECLEVEL=0`]));
    const accepted = suites.filter((_, i) => results[i]!.ok);
    assert.deepEqual([...accepted].sort(), [...wanted].sort(), `accepted on ${au[0]}: ${accepted.join(' ')}`);
    for (const [i, s] of suites.entries()) {
      if (results[i]!.ok) assert.equal(results[i]!.cipher, s);
    }
  }
});

test('TLS 1.3: only TLS_AES_256_GCM_SHA384 and TLS_AES_128_GCM_SHA256 (no ChaCha20, no CCM)', async () => {
  const all = [
    'TLS_AES_256_GCM_SHA384',
    'TLS_AES_128_GCM_SHA256',
    'TLS_CHACHA20_POLY1305_SHA256',
    'TLS_AES_128_CCM_SHA256',
    'TLS_AES_128_CCM_8_SHA256',
  ];
  const results = await pool(all, (s) => handshake(h.port, ['-tls1_3', '-ciphersuites', s]));
  const accepted = all.filter((_, i) => results[i]!.ok);
  assert.deepEqual(accepted.sort(), [...TLS13_CIPHERS].sort(), results.map((r) => r.out).join('\n'));
});

test('curves: NIST P-256/384/521 and Brainpool (TLS 1.2) negotiate; X25519, X448 and FFDHE do not', async () => {
  // On TLS 1.2 the client's groups also restrict the ECDSA certificate curves on both sides (the server's and
  // the client's P-256 certificates), so the TLS 1.2 curve checks run against the RSA-certificate server
  // without a client certificate; TLS 1.3 keeps the two apart.
  const curves = supportedCurves();
  for (const g of ['P-256', 'P-384', 'P-521']) {
    assert.ok(curves.includes(g));
    for (const [v, port] of [
      ['-tls1_2', rsaPort],
      ['-tls1_3', h.port],
    ] as const) {
      const r = await handshake(port, [v, '-groups', g], v === '-tls1_2');
      assert.ok(r.ok, `${g} ${v}: ${r.out}`);
    }
  }
  for (const g of ['brainpoolP256r1', 'brainpoolP384r1', 'brainpoolP512r1'].filter((c) =>
    curves.includes(c),
  )) {
    const r = await handshake(rsaPort, ['-tls1_2', '-groups', g], true);
    assert.ok(r.ok, `${g}: ${r.out}`);
  }
  for (const g of ['X25519', 'X448', 'ffdhe2048', 'ffdhe3072']) {
    for (const [v, port] of [
      ['-tls1_2', rsaPort],
      ['-tls1_3', h.port],
      ['-tls1_3', rsaPort],
    ] as const) {
      const r = await handshake(port, [v, '-groups', g], true);
      assert.equal(r.ok, false, `${g} ${v} must fail: ${r.out}`);
    }
  }
  // the server keeps serving after the scan
  await h.assertServing();
});
