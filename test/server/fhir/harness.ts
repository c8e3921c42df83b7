// A running HTTPS server (the real buildServer with the FHIR plugin) over a data set, dev certificates,
// a DiGA directory file, and real access tokens minted through the OAuth pairing code paths.
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import zlib from 'node:zlib';
import { pino } from 'pino';
import { loadConfig } from '../../../config/load.ts';
import type { GatewayConfig } from '../../../config/types.ts';
import { activateGrant, getGrant } from '../../../gateway/store/oauth-grants.ts';
import { ManualClock } from '../../../server/clock.ts';
import { generateDevCertificates, type DevCertificates } from '../../../server/dev-certs.ts';
import { authorize } from '../../../server/oauth/pairing.ts';
import { DEVICE_METRIC_SCOPE, DEVICE_SCOPE, MIV_SCOPE } from '../../../server/oauth/scopes.ts';
import { issueAccessToken } from '../../../server/oauth/tokens.ts';
import { createServices } from '../../../server/start.ts';
import { buildServer } from '../../../server/app.ts';
import type { ServerServices } from '../../../server/services.ts';
import type { Dataset } from './fixture.ts';

export interface HarnessOptions {
  fhir?: Record<string, unknown>;
  policy?: Record<string, unknown>;
  /** The clock starts at the data set's end. */
  clock?: ManualClock;
  /** Extra `server` settings (e.g. the global per-IP rate limit). */
  server?: Record<string, unknown>;
}

export interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: () => any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface RequestOptions {
  method?: string;
  token?: string;
  /** Index of the dev client certificate to present (default 0), or null for none. */
  cert?: number | null;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface Harness {
  url: string;
  base: string;
  port: number;
  services: ServerServices;
  certs: DevCertificates;
  clock: ManualClock;
  config: GatewayConfig;
  dataDir: string;
  token(
    patientId: string,
    mivs: Array<'bloodGlucose' | 'cgm'>,
    opts?: { client?: number; deviceScopes?: boolean },
  ): Promise<string>;
  request(pathAndQuery: string, opts?: RequestOptions): Promise<Response>;
  agent(client?: number | null): https.Agent;
  close(): Promise<void>;
}

export async function startHarness(ds: Dataset, opts: HarnessOptions = {}): Promise<Harness> {
  const dataDir = path.join(ds.dir, 'server');
  fs.mkdirSync(dataDir, { recursive: true });
  const clock = opts.clock ?? new ManualClock(ds.end);
  // Client certificates are checked for validity against the server clock: valid from the data set's time.
  const clientsValidFrom = new Date(clock.now().getTime() - 60_000);
  const certs = await generateDevCertificates({
    outDir: path.join(dataDir, 'certs'),
    clients: 4,
    clientsValidFrom,
  });
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir,
      server: {
        enabled: true,
        port: 0,
        host: '127.0.0.1',
        issuer: 'https://localhost',
        directory: { source: certs.directoryFile, cacheSeconds: 3600 },
        rateLimit: { max: 100_000, windowMs: 1000 },
        fhir: { ...opts.fhir },
        ...opts.server,
      },
      policy: { ...opts.policy },
    },
  });
  const services = await createServices(config, {
    store: ds.store,
    clock,
    logger: pino({ level: 'silent' }),
    keysDir: path.join(dataDir, 'keys'),
  });
  const app = await buildServer(services, { tls: { cert: certs.serverCertPem, key: certs.serverKeyPem } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  const url = `https://localhost:${port}`;
  // The issuer (and with it the FHIR base of every link) is configuration: now that the port is known.
  config.server.issuer = url;
  const agents = new Map<number | null, https.Agent>();
  const agent = (client: number | null = 0) => {
    let a = agents.get(client);
    if (!a) {
      const c = client === null ? undefined : certs.clients[client];
      a = new https.Agent({
        keepAlive: true,
        ca: certs.caCertPem,
        cert: c?.certPem,
        key: c?.keyPem,
        maxSockets: 16,
      });
      agents.set(client, a);
    }
    return a;
  };
  return {
    url,
    base: `${url}/fhir`,
    port,
    services,
    certs,
    clock,
    config,
    dataDir,
    async token(patientId, mivs, o = {}) {
      const client = certs.clients[o.client ?? 0];
      const scopes = [
        ...mivs.map((m) => MIV_SCOPE[m]),
        ...(o.deviceScopes === false ? [] : [DEVICE_SCOPE, DEVICE_METRIC_SCOPE]),
      ];
      const scope = scopes.join(' ');
      const auth = authorize(services, {
        patientId,
        clientId: client.clientId,
        mivs,
        scope,
        redirectUri: client.redirectUri,
        codeChallenge: 'x'.repeat(43),
      });
      const nowMs = clock.now().getTime();
      activateGrant(services.store, auth.grantId, auth.pairingId, nowMs);
      const grant = getGrant(services.store, auth.grantId)!;
      return (await issueAccessToken(services, grant, scope, nowMs)).token;
    },
    request(pathAndQuery, o = {}) {
      return new Promise((resolve, reject) => {
        const target = pathAndQuery.startsWith('https://') ? pathAndQuery : `${url}${pathAndQuery}`;
        const headers: Record<string, string> = { ...o.headers };
        if (o.token) headers.authorization = `Bearer ${o.token}`;
        const req = https.request(
          target,
          {
            method: o.method ?? 'GET',
            headers,
            agent: agent(o.cert === undefined ? 0 : o.cert),
            // TLS names the server the URL names, even when a test sends another Host header
            servername: new URL(target).hostname,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              let buf = Buffer.concat(chunks);
              const enc = res.headers['content-encoding'];
              if (enc === 'gzip') buf = zlib.gunzipSync(buf);
              else if (enc === 'br') buf = zlib.brotliDecompressSync(buf);
              const body = buf.toString('utf8');
              resolve({
                status: res.statusCode ?? 0,
                headers: res.headers,
                body,
                json: () => JSON.parse(body),
              });
            });
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        if (o.body !== undefined) req.write(o.body);
        req.end();
      });
    },
    agent,
    async close() {
      for (const a of agents.values()) a.destroy();
      await app.close();
    },
  };
}
