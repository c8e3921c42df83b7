// Development certificates (never for production: HDDT wants publicly trusted server certificates):
// a local CA, a server certificate for localhost/127.0.0.1 signed by it, and DiGA client certificates
// (self-signed as HDDT allows, digitalSignature + clientAuth, 365 days), plus a DiGA directory file
// listing the clients with those certificates. Made with @peculiar/x509 on node's WebCrypto.
import fs from 'node:fs';
import path from 'node:path';
import { webcrypto, randomBytes } from 'node:crypto';
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { supportedScopes } from './oauth/scopes.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface DevClient {
  clientId: string;
  name: string;
  redirectUri: string;
  certPem: string;
  keyPem: string;
  certFile: string;
  keyFile: string;
}

export interface DevCertificates {
  dir: string;
  caCertPem: string;
  caFile: string;
  serverCertPem: string;
  serverKeyPem: string;
  serverCertFile: string;
  serverKeyFile: string;
  clients: DevClient[];
  directoryFile: string;
}

export interface DevCertOptions {
  outDir: string;
  /** Number of DiGA client certificates (default 2). */
  clients?: number;
  /** Validity of the client certificates in days (HDDT: 365–398). */
  days?: number;
  /** Start of the client certificates' validity (default: a minute ago); tests on a mocked clock pass theirs. */
  clientsValidFrom?: Date;
  /** DiGA ids of the clients: first id, counting up (default 10001). */
  firstDigaId?: number;
  hostnames?: string[];
  ips?: string[];
}

async function keyPair(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trim()}\n-----END PRIVATE KEY-----\n`;
}

function serial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
}

function validity(days: number, from?: Date): { notBefore: Date; notAfter: Date } {
  const notBefore = from ?? new Date(Date.now() - 60_000);
  return { notBefore, notAfter: new Date(notBefore.getTime() + days * 86_400_000) };
}

function write(file: string, text: string, mode: number): void {
  fs.writeFileSync(file, text, { mode });
  fs.chmodSync(file, mode);
}

/** A self-signed DiGA client certificate for `clientId`. */
export async function makeClientCertificate(
  clientId: string,
  days = 365,
  validFrom?: Date,
): Promise<{ certPem: string; keyPem: string }> {
  const keys = await keyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${clientId.split(':').pop()}, O=DiGA ${clientId}`,
    ...validity(days, validFrom),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await keyPem(keys.privateKey) };
}

/** Configuration that points the HTTPS server at these files (absolute paths: they mean the same from anywhere). */
export function devServerConfig(out: DevCertificates): { server: Record<string, unknown> } {
  return {
    server: {
      enabled: true,
      tls: { certFile: out.serverCertFile, keyFile: out.serverKeyFile },
      directory: { source: out.directoryFile },
    },
  };
}

export async function generateDevCertificates(opts: DevCertOptions): Promise<DevCertificates> {
  const dir = path.resolve(opts.outDir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const days = opts.days ?? 365;
  const caKeys = await keyPair();
  const ca = await createCa(caKeys, days);
  const server = await createServerCertificate(ca, caKeys, opts, days);
  const out: DevCertificates = {
    dir,
    caCertPem: ca.toString('pem') + '\n',
    caFile: path.join(dir, 'ca.crt'),
    serverCertPem: server.certPem,
    serverKeyPem: server.keyPem,
    serverCertFile: path.join(dir, 'server.crt'),
    serverKeyFile: path.join(dir, 'server.key'),
    clients: [],
    directoryFile: path.join(dir, 'diga-directory.json'),
  };
  write(out.caFile, out.caCertPem, 0o644);
  write(out.serverCertFile, out.serverCertPem + out.caCertPem, 0o644);
  write(out.serverKeyFile, out.serverKeyPem, 0o600);
  const first = opts.firstDigaId ?? 10001;
  for (let i = 0; i < (opts.clients ?? 2); i++) {
    out.clients.push(await writeClient(dir, String(first + i).padStart(5, '0'), days, opts.clientsValidFrom));
  }
  writeDirectory(out);
  return out;
}

async function createCa(caKeys: webcrypto.CryptoKeyPair, days: number): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=hddt-gateway development CA',
    ...validity(days),
    keys: caKeys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
}

async function createServerCertificate(
  ca: x509.X509Certificate,
  caKeys: webcrypto.CryptoKeyPair,
  opts: DevCertOptions,
  days: number,
): Promise<{ certPem: string; keyPem: string }> {
  const hostnames = opts.hostnames ?? ['localhost'];
  const ips = opts.ips ?? ['127.0.0.1'];
  const serverKeys = await keyPair();
  const server = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${hostnames[0]}`,
    issuer: ca.subject,
    ...validity(days),
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension([
        ...hostnames.map((value) => ({ type: 'dns' as const, value })),
        ...ips.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(ca),
      await x509.SubjectKeyIdentifierExtension.create(serverKeys.publicKey),
    ],
  });
  return { certPem: server.toString('pem') + '\n', keyPem: await keyPem(serverKeys.privateKey) };
}

async function writeClient(dir: string, digaId: string, days: number, validFrom?: Date): Promise<DevClient> {
  const clientId = `urn:diga:bfarm:${digaId}`;
  const { certPem, keyPem: kp } = await makeClientCertificate(clientId, days, validFrom);
  const c: DevClient = {
    clientId,
    name: `Example DiGA ${digaId}`,
    redirectUri: `https://diga-${digaId}.example/oauth/callback`,
    certPem,
    keyPem: kp,
    certFile: path.join(dir, `diga-${digaId}.crt`),
    keyFile: path.join(dir, `diga-${digaId}.key`),
  };
  write(c.certFile, c.certPem, 0o644);
  write(c.keyFile, c.keyPem, 0o600);
  return c;
}

/** The DiGA directory file listing the generated clients (config/examples' format). */
function writeDirectory(out: DevCertificates): void {
  const directory = {
    entries: out.clients.map((c) => ({
      client_id: c.clientId,
      name: c.name,
      status: 'active',
      redirect_uris: [c.redirectUri],
      scopes: supportedScopes(['bloodGlucose', 'cgm']),
      certificate: c.certPem,
    })),
  };
  write(out.directoryFile, JSON.stringify(directory, null, 2) + '\n', 0o644);
}
