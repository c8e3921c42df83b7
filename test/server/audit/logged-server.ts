// The real HTTPS server (createServices + buildServer) over a data directory of the test's choosing, with the
// application log captured in memory (the request log's alarms go there), a DiGA client certificate and a
// real access token. For the request log's cap and disk-full tests.
import https from 'node:https';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { dataPath, loadConfig } from '../../../config/load.ts';
import type { GatewayConfig } from '../../../config/types.ts';
import { openStore, type Store } from '../../../gateway/store/store.ts';
import { buildServer } from '../../../server/app.ts';
import { ManualClock } from '../../../server/clock.ts';
import { generateDevCertificates, type DevCertificates } from '../../../server/dev-certs.ts';
import { issueTestTokens } from '../../../bench/rigs/tokens.ts';
import { createServices } from '../../../server/start.ts';
import type { ServerServices } from '../../../server/services.ts';

export interface LoggedServer {
  url: string;
  config: GatewayConfig;
  store: Store;
  services: ServerServices;
  app: FastifyInstance;
  clock: ManualClock;
  /** Application log entries (pino objects) so far. */
  logs: Array<{ level: number; msg: string; [k: string]: unknown }>;
  logDir: string;
  /** A FHIR request with the client certificate and the token. */
  get(p: string): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

export async function startLoggedServer(opts: {
  dataDir: string;
  /** Certificates go here (not on a small test disk). */
  certsDir: string;
  server?: Record<string, unknown>;
}): Promise<LoggedServer> {
  const certs: DevCertificates = await generateDevCertificates({ outDir: opts.certsDir, clients: 1 });
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir: opts.dataDir,
      server: {
        enabled: true,
        host: '127.0.0.1',
        port: 0,
        issuer: 'https://localhost',
        directory: { source: certs.directoryFile, cacheSeconds: 3600 },
        rateLimit: { max: 100_000, windowMs: 1000 },
        ...opts.server,
      },
    },
  });
  const logs: LoggedServer['logs'] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const clock = new ManualClock(Date.now());
  const store = openStore({ path: dataPath(config, config.store.file) });
  const services = await createServices(config, {
    store,
    clock,
    logger: pino({ level: 'info' }, sink),
    keysDir: path.join(opts.certsDir, 'keys'),
  });
  const app = await buildServer(services, { tls: { cert: certs.serverCertPem, key: certs.serverKeyPem } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `https://localhost:${(app.server.address() as AddressInfo).port}`;
  const client = certs.clients[0]!;
  const { accessToken } = await issueTestTokens(services, { clientId: client.clientId, mivs: ['cgm'] });
  const agent = new https.Agent({
    keepAlive: true,
    ca: certs.caCertPem,
    cert: client.certPem,
    key: client.keyPem,
  });
  return {
    url,
    config,
    store,
    services,
    app,
    clock,
    logs,
    logDir: dataPath(config, 'logs', 'requests'),
    get: (p) =>
      new Promise((resolve, reject) => {
        const req = https.get(
          `${url}${p}`,
          { agent, headers: { authorization: `Bearer ${accessToken}` } },
          (res) => {
            let body = '';
            res.on('data', (d: Buffer) => (body += d.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
      }),
    async close() {
      agent.destroy();
      await app.close();
      services.directory.stop();
      store.close();
    },
  };
}
