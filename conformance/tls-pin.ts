// The SPKI pin Chromium is given for the DDR: the public key of the certificate the server presents, read over
// a TLS connection that Node verified against the kit's --ca. Chromium then trusts that key and nothing else.
import { createHash, X509Certificate } from 'node:crypto';
import tls from 'node:tls';

export function serverSpkiPin(url: string, ca: string, timeoutMs = 10_000): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: u.hostname,
      port: Number(u.port || 443),
      servername: u.hostname === 'localhost' || /^[\d.]+$/.test(u.hostname) ? undefined : u.hostname,
      ca,
      rejectUnauthorized: true,
      timeout: timeoutMs,
    });
    socket.once('secureConnect', () => {
      try {
        const der = socket.getPeerCertificate().raw;
        const key = new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' });
        resolve(createHash('sha256').update(key).digest('base64'));
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      } finally {
        socket.end();
      }
    });
    socket.once('timeout', () => socket.destroy(new Error(`TLS to ${u.host} timed out`)));
    socket.once('error', (err) => reject(new Error(`TLS to ${u.host}: ${err.message}`)));
  });
}
