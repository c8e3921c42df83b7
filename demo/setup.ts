// The demo's data folder: development certificates made once with the certs module (CA, server
// certificate for localhost, one DiGA client certificate and a DiGA directory listing it), and the
// configuration overrides that run the gateway on them.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { generateDevCertificates } from '../server/dev-certs.ts';

export interface DemoCertificates {
  dir: string;
  caFile: string;
  directoryFile: string;
  client: { clientId: string; redirectUri: string; certFile: string; keyFile: string };
}

const CLIENT = 'urn:diga:bfarm:10001';

/** Makes the certificates on first run (or when one is missing); returns their paths. */
export async function ensureCertificates(dataDir: string): Promise<DemoCertificates> {
  const dir = path.join(dataDir, 'certs');
  const files = {
    caFile: path.join(dir, 'ca.crt'),
    directoryFile: path.join(dir, 'diga-directory.json'),
    certFile: path.join(dir, 'diga-10001.crt'),
    keyFile: path.join(dir, 'diga-10001.key'),
  };
  const serverFiles = [path.join(dir, 'server.crt'), path.join(dir, 'server.key')];
  if (![...Object.values(files), ...serverFiles].every((f) => fs.existsSync(f))) {
    await generateDevCertificates({ outDir: dir, clients: 1, firstDigaId: 10001 });
  }
  const directory = JSON.parse(fs.readFileSync(files.directoryFile, 'utf8')) as {
    entries: Array<{ client_id: string; redirect_uris: string[] }>;
  };
  const entry = directory.entries.find((e) => e.client_id === CLIENT);
  if (!entry) throw new Error(`${files.directoryFile} has no entry for ${CLIENT}`);
  return {
    dir,
    caFile: files.caFile,
    directoryFile: files.directoryFile,
    client: {
      clientId: CLIENT,
      redirectUri: entry.redirect_uris[0]!,
      certFile: files.certFile,
      keyFile: files.keyFile,
    },
  };
}

/** A free TCP port on 127.0.0.1 (closed again at once; the caller binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** True if nothing listens on the port (so the demo can take it). */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '0.0.0.0', () => s.close(() => resolve(true)));
  });
}

export interface DemoConfigInput {
  dataDir: string;
  certs: DemoCertificates;
  serverPort: number;
  operatorPort: number;
  blePty: string;
  logLevel: string;
}

/** Overrides of the embedded defaults: server on the dev certificates, BLE over the virtual controller. */
export function demoOverrides(i: DemoConfigInput): Record<string, unknown> {
  const rel = (f: string) => path.relative(i.dataDir, f);
  return {
    dataDir: i.dataDir,
    log: { level: i.logLevel },
    server: {
      enabled: true,
      host: '127.0.0.1',
      port: i.serverPort,
      issuer: `https://localhost:${i.serverPort}`,
      tls: {
        certFile: rel(path.join(i.certs.dir, 'server.crt')),
        keyFile: rel(path.join(i.certs.dir, 'server.key')),
      },
      directory: { source: i.certs.directoryFile, caFile: null, cacheSeconds: 3600, timeoutMs: 5000 },
    },
    // the demo scenario's CGM and meter (demo/devices.ts); other advertisers are only listed
    ble: {
      enabled: true,
      driver: 'uart',
      uartPort: i.blePty,
      allowList: ['c0:11:22:33:44:55', 'c0:aa:bb:cc:dd:ee'],
    },
    operator: { enabled: true, host: '127.0.0.1', port: i.operatorPort, login: null, tls: null },
    mqtt: { enabled: false },
  };
}
