// The real HTTPS server (buildServer: OAuth, pages, FHIR) over mutual TLS on a free port, with a small data
// set, dev certificates, a real access token and short slow-client limits; plus raw TLS sockets for requests
// no well-behaved client would send (oversized, invalid bytes, trickled headers).
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../config/load.ts';
import { buildServer, type ServerTimeouts } from '../../server/app.ts';
import { ManualClock } from '../../server/clock.ts';
import { generateDevCertificates, type DevCertificates } from '../../server/dev-certs.ts';
import { issueTestTokens } from '../../bench/rigs/tokens.ts';
import { createServices } from '../../server/start.ts';
import type { ServerServices } from '../../server/services.ts';
import { buildDataset, type Dataset } from '../server/fhir/fixture.ts';

export const TEST_TIMEOUTS: ServerTimeouts = {
  handshakeMs: 1_500,
  headersMs: 1_000,
  requestMs: 2_000,
  keepAliveMs: 1_000,
  idleMs: 5_000,
  checkIntervalMs: 100,
};

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface RawReply {
  /** Everything the server sent before it closed the connection (or before the wait ended). */
  text: string;
  status: number | null;
  closed: boolean;
  ms: number;
}

export interface HardeningServer {
  url: string;
  port: number;
  ds: Dataset;
  certs: DevCertificates;
  services: ServerServices;
  app: FastifyInstance;
  token: string;
  request(
    pathAndQuery: string,
    opts?: { method?: string; headers?: Record<string, string>; body?: string | Buffer },
  ): Promise<Reply>;
  /** Opens a raw mTLS socket, writes `chunks` (with optional pauses between them) and reads until close. */
  raw(chunks: Array<string | Buffer | { pauseMs: number }>, waitMs?: number): Promise<RawReply>;
  /** A good FHIR search that must succeed whatever happened before. */
  assertServing(): Promise<void>;
  close(): Promise<void>;
}

export async function startHardeningServer(
  timeouts: Partial<ServerTimeouts> = TEST_TIMEOUTS,
): Promise<HardeningServer> {
  const ds = buildDataset({ days: 1, cgmIntervalMinutes: 5 });
  const dataDir = path.join(ds.dir, 'server');
  fs.mkdirSync(dataDir, { recursive: true });
  // Client certificates are checked for validity against the server clock: valid from the data set's time.
  const clientsValidFrom = new Date(ds.end.getTime() - 60_000);
  const certs = await generateDevCertificates({
    outDir: path.join(dataDir, 'certs'),
    clients: 1,
    clientsValidFrom,
  });
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir,
      log: { level: 'silent' },
      server: {
        enabled: true,
        port: 0,
        host: '127.0.0.1',
        issuer: 'https://localhost',
        directory: { source: certs.directoryFile, cacheSeconds: 3600 },
        rateLimit: { max: 100_000, windowMs: 1000 },
      },
    },
  });
  const services = await createServices(config, {
    store: ds.store,
    clock: new ManualClock(ds.end),
    logger: pino({ level: 'silent' }),
    keysDir: path.join(dataDir, 'keys'),
  });
  const app = await buildServer(services, {
    tls: { cert: certs.serverCertPem, key: certs.serverKeyPem },
    timeouts,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  const url = `https://localhost:${port}`;
  const client = certs.clients[0]!;
  const token = (
    await issueTestTokens(services, {
      clientId: client.clientId,
      patientId: ds.patients.a,
      mivs: ['bloodGlucose', 'cgm'],
    })
  ).accessToken;
  const agent = new https.Agent({
    keepAlive: true,
    ca: certs.caCertPem,
    cert: client.certPem,
    key: client.keyPem,
  });
  const sockets = new Set<tls.TLSSocket>();

  const request: HardeningServer['request'] = (pathAndQuery, o = {}) =>
    new Promise((resolve, reject) => {
      const req = https.request(
        `${url}${pathAndQuery}`,
        { method: o.method ?? 'GET', headers: o.headers, agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (o.body !== undefined) req.write(o.body);
      req.end();
    });

  const raw: HardeningServer['raw'] = (chunks, waitMs = 5_000) =>
    new Promise((resolve, reject) => {
      const started = Date.now();
      const socket = tls.connect({
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        ca: certs.caCertPem,
        cert: client.certPem,
        key: client.keyPem,
      });
      sockets.add(socket);
      const got: Buffer[] = [];
      let done = false;
      const finish = (closed: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        sockets.delete(socket);
        socket.destroy();
        const text = Buffer.concat(got).toString('latin1');
        const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
        resolve({ text, status: m ? Number(m[1]) : null, closed, ms: Date.now() - started });
      };
      const timer = setTimeout(() => finish(false), waitMs);
      socket.on('data', (d: Buffer) => got.push(d));
      socket.on('close', () => finish(true));
      socket.on('error', (err: NodeJS.ErrnoException) => {
        // A reset after the server answered and closed is a close, not a failure.
        if (err.code === 'ECONNRESET' || err.code === 'EPIPE') finish(true);
        else if (!done) {
          done = true;
          clearTimeout(timer);
          reject(err);
        }
      });
      socket.once('secureConnect', () => {
        void (async () => {
          for (const c of chunks) {
            if (done || socket.destroyed) return;
            if (typeof c === 'object' && !Buffer.isBuffer(c))
              await new Promise((r) => setTimeout(r, c.pauseMs));
            else socket.write(c);
          }
        })();
      });
    });

  return {
    url,
    port,
    ds,
    certs,
    services,
    app,
    token,
    request,
    raw,
    async assertServing() {
      const r = await request('/fhir/Observation?_count=2', {
        headers: { authorization: `Bearer ${token}` },
      });
      if (r.status !== 200) throw new Error(`good request failed: ${r.status} ${r.body.slice(0, 200)}`);
      const b = JSON.parse(r.body) as { resourceType: string; entry?: unknown[] };
      if (b.resourceType !== 'Bundle' || !b.entry?.length)
        throw new Error(`good request: ${r.body.slice(0, 200)}`);
    },
    async close() {
      for (const s of sockets) s.destroy();
      agent.destroy();
      await app.close();
      services.directory.stop();
      ds.cleanup();
    },
  };
}
