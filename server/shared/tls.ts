// TLS settings of the HTTPS server, following BSI TR-02102-2: TLS 1.2 and 1.3 only; ECDHE with
// AES-GCM (ECDSA or RSA certificates) for TLS 1.2, the AES-GCM suites for TLS 1.3; NIST and Brainpool
// curves (OpenSSL 3.0 offers Brainpool for TLS 1.2 only). Client certificates are requested but not
// chain-validated: HDDT pins the exact certificate per client_id (checked by the OAuth endpoints and the PEP
// against the DiGA directory, with its validity window), and DiGA certificates may be self-signed.
import fs from 'node:fs';
import type net from 'node:net';
import tls from 'node:tls';
import type https from 'node:https';
import { dataPath } from '../../config/load.ts';
import type { GatewayConfig } from '../../config/types.ts';
import { certificateThumbprint, validityWindow } from './certificates.ts';

export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES128-GCM-SHA256',
];

export const TLS13_CIPHERS = ['TLS_AES_256_GCM_SHA384', 'TLS_AES_128_GCM_SHA256'];

const WANTED_CURVES = ['P-384', 'P-256', 'P-521', 'brainpoolP384r1', 'brainpoolP256r1', 'brainpoolP512r1'];

/** The wanted curves this OpenSSL build accepts, in preference order. */
export function supportedCurves(): string[] {
  return WANTED_CURVES.filter((c) => {
    try {
      tls.createSecureContext({ ecdhCurve: c });
      return true;
    } catch {
      return false;
    }
  });
}

export interface TlsMaterial {
  cert: string | Buffer;
  key: string | Buffer;
}

export function tlsServerOptions(material: TlsMaterial): https.ServerOptions {
  return {
    cert: material.cert,
    key: material.key,
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    ciphers: [...TLS13_CIPHERS, ...TLS12_CIPHERS].join(':'),
    ecdhCurve: supportedCurves().join(':'),
    honorCipherOrder: true,
    requestCert: true,
    rejectUnauthorized: false,
    sessionTimeout: 300,
  };
}

/** Reads the server certificate and key named in the configuration (paths relative to dataDir). */
export function readTlsMaterial(config: GatewayConfig): TlsMaterial {
  return {
    cert: fs.readFileSync(dataPath(config, config.server.tls.certFile)),
    key: fs.readFileSync(dataPath(config, config.server.tls.keyFile)),
  };
}

/** The client certificate of a TLS connection, with what the access checks need of it. */
export interface PeerCertificate {
  der: Buffer;
  /** Validity window (notBefore / notAfter), epoch milliseconds. */
  notBeforeMs: number;
  notAfterMs: number;
  /** base64url of the SHA-256 of the DER: RFC 8705's `x5t#S256`. */
  thumbprint: string;
}

/** Client certificates (null = none presented) of connections whose renegotiation is refused. */
const peerCertificates = new WeakMap<tls.TLSSocket, PeerCertificate | null>();
const renegotiationRefused = new WeakSet<tls.TLSSocket>();

/**
 * Refuses TLS 1.2 renegotiation on every connection of `server` (TLS 1.3 has none): an attempt closes the
 * connection. The client certificate of a connection is then the one of its handshake for its whole life,
 * which lets peerCertificate() cache it per socket (getPeerCertificate() decodes the whole certificate).
 */
export function refuseRenegotiation(server: tls.Server): void {
  server.on('secureConnection', (socket: tls.TLSSocket) => {
    socket.disableRenegotiation();
    renegotiationRefused.add(socket);
    socket.on('error', (err: Error & { code?: string }) => {
      if (err.code !== 'ERR_TLS_RENEGOTIATION_DISABLED') return;
      peerCertificates.delete(socket);
      socket.destroy();
    });
  });
}

function readPeerCertificate(socket: tls.TLSSocket): PeerCertificate | undefined {
  const cert = socket.getPeerCertificate(false);
  if (!cert || !cert.raw || cert.raw.length === 0) return undefined;
  return {
    der: cert.raw,
    ...validityWindow(cert.valid_from, cert.valid_to),
    thumbprint: certificateThumbprint(cert.raw),
  };
}

/**
 * The client certificate of the connection, or undefined when none was presented. The one certificate
 * helper of the server: pass `req.raw.socket` of a fastify request.
 */
export function peerCertificate(socket: net.Socket): PeerCertificate | undefined {
  if (typeof (socket as Partial<tls.TLSSocket>).getPeerCertificate !== 'function') return undefined;
  const tlsSocket = socket as tls.TLSSocket;
  const cacheable = renegotiationRefused.has(tlsSocket);
  if (cacheable) {
    const cached = peerCertificates.get(tlsSocket);
    if (cached !== undefined) return cached ?? undefined;
  }
  const cert = readPeerCertificate(tlsSocket);
  if (cacheable && !tlsSocket.destroyed) peerCertificates.set(tlsSocket, cert ?? null);
  return cert;
}
