// The HTTPS server of the FHIR and token benchmarks: dev certificates, a DiGA directory, the configuration with
// the given server settings, services over the given store, listening on a free port of 127.0.0.1.
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { loadConfig } from '../../config/load.ts';
import type { GatewayConfig } from '../../config/types.ts';
import type { Store } from '../../gateway/store/store.ts';
import { buildServer } from '../../server/app.ts';
import type { Clock } from '../../server/clock.ts';
import { generateDevCertificates, type DevCertificates } from '../../server/dev-certs.ts';
import type { ServerServices } from '../../server/services.ts';
import { createServices } from '../../server/start.ts';

export interface BenchServerOptions {
  dir: string;
  store: Store;
  clock?: Clock;
  /** The server's clock checks client certificates: valid from this time (default: now). */
  clientsValidFrom?: Date;
  /** `server` settings beyond enabled, issuer and directory. */
  server?: Record<string, unknown>;
}

export interface BenchServer {
  certs: DevCertificates;
  config: GatewayConfig;
  services: ServerServices;
  app: FastifyInstance;
  url: string;
}

export async function startBenchServer(o: BenchServerOptions): Promise<BenchServer> {
  const certs = await generateDevCertificates({
    outDir: path.join(o.dir, 'certs'),
    clients: 1,
    ...(o.clientsValidFrom ? { clientsValidFrom: o.clientsValidFrom } : {}),
  });
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir: o.dir,
      server: {
        enabled: true,
        issuer: 'https://localhost',
        directory: { source: certs.directoryFile, cacheSeconds: 14_400 },
        ...o.server,
      },
    },
  });
  const services = await createServices(config, {
    store: o.store,
    ...(o.clock ? { clock: o.clock } : {}),
    logger: pino({ level: 'silent' }),
    keysDir: path.join(o.dir, 'keys'),
  });
  const app = await buildServer(services, { tls: { cert: certs.serverCertPem, key: certs.serverKeyPem } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `https://localhost:${(app.server.address() as { port: number }).port}`;
  // links and the token audience are made of the configured issuer: point it at the port we got
  config.server.issuer = url;
  return { certs, config, services, app, url };
}
