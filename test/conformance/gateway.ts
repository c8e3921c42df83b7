// Our gateway for the conformance kit's tests: dev certificates (CA, server, two DiGA clients registered in a
// DiGA directory file), a real SQLite file, the real HTTPS server with mTLS on a free port and the real clock
// (the kit computes TOTP codes and token lifetimes from real time), two test patients with password and TOTP,
// and data ingested through the real pipeline: patient A a CGM session and a blood glucose meter, patient B a
// meter of its own. `tamper` may add fastify hooks before the server listens (the broken fixtures).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { loadConfig } from '../../config/load.ts';
import { bgSeries, cgmSeries } from '../../firmware-bridge/synthetic-readings.ts';
import { mappingFromConfig } from '../../gateway/hddt/mapping.ts';
import { ingest } from '../../gateway/ingest/pipeline.ts';
import { refreshTimeDependent } from '../../gateway/ingest/refresh.ts';
import type { Reading } from '../../gateway/readings/reading.ts';
import { assignDevice } from '../../gateway/store/assignments.ts';
import { openStore } from '../../gateway/store/store.ts';
import { buildServer } from '../../server/app.ts';
import { generateDevCertificates, type DevCertificates } from '../../server/dev-certs.ts';
import { createAccount } from '../../server/pages/accounts.ts';
import type { ServerServices } from '../../server/services.ts';
import { createServices } from '../../server/start.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface TestPatient {
  username: string;
  password: string;
  totpSecret: string;
  patientId: string;
}

export interface KitGateway {
  url: string;
  dir: string;
  certs: DevCertificates;
  services: ServerServices;
  app: FastifyInstance;
  a: TestPatient;
  b: TestPatient;
  /** The login script for the kit (this gateway's pages, patients a and b). */
  loginScript: string;
  requestLogDir: string;
  close(): Promise<void>;
}

/** Certificates made once per test file. */
let certCache: Promise<DevCertificates> | undefined;
function certificates(): Promise<DevCertificates> {
  certCache ??= generateDevCertificates({
    outDir: fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-kit-certs-')),
    clients: 2,
    firstDigaId: 10001,
    days: 365,
  });
  return certCache;
}

export async function removeCertificates(): Promise<void> {
  if (certCache) fs.rmSync((await certCache).dir, { recursive: true, force: true });
  certCache = undefined;
}

function config(dir: string, certs: DevCertificates) {
  return loadConfig({
    env: {},
    overrides: {
      dataDir: dir,
      server: {
        enabled: true,
        host: '127.0.0.1',
        port: 0,
        issuer: 'https://localhost:1',
        directory: { source: certs.directoryFile, caFile: null, cacheSeconds: 600, timeoutMs: 2000 },
        rateLimit: { max: 100000, windowMs: 1000 },
      },
    },
  });
}

/** A: CGM for the last 3 h (1-min samples, 1-h chunks) and 3 days of meter readings; B: 1 day of meter readings. */
function seed(services: ServerServices, a: TestPatient, b: TestPatient): void {
  const { store, config: cfg } = services;
  const now = Date.now();
  const midnight = Math.floor(now / DAY) * DAY;
  const sessionStart = new Date(Math.floor(now / HOUR) * HOUR - 3 * HOUR);
  const readings: Array<[string, string, number, Reading[]]> = [
    ['ble:c0:00:00:00:00:0a', a.patientId, sessionStart.getTime(), []],
    ['ble:c0:00:00:00:0b:0a', a.patientId, midnight - 3 * DAY, []],
    ['ble:c0:00:00:00:0b:0b', b.patientId, midnight - DAY, []],
  ];
  const minutes = Math.floor((now - sessionStart.getTime()) / 60_000) - 1;
  readings[0]![3] = cgmSeries({ deviceKey: readings[0]![0], sessionStart, count: minutes, seed: 1 });
  readings[1]![3] = bgSeries({
    deviceKey: readings[1]![0],
    start: new Date(midnight - 3 * DAY),
    days: 3,
    seed: 2,
  });
  readings[2]![3] = bgSeries({
    deviceKey: readings[2]![0],
    start: new Date(midnight - DAY),
    days: 1,
    seed: 3,
  });
  const mapping = mappingFromConfig(cfg);
  for (const [key, patientId, from, rs] of readings) {
    const r = ingest(store, rs, { now: new Date(now), mapping });
    if (r.rejected.length > 0) throw new Error(`rejected: ${JSON.stringify(r.rejected[0])}`);
    assignDevice(store, key, patientId, from);
  }
  refreshTimeDependent(store, now, mapping);
}

async function patient(services: ServerServices, name: string): Promise<TestPatient> {
  const password = `pw-${name}-correct-horse-battery`;
  const acc = await createAccount(services.store, name, password, Date.now());
  return { username: name, password, totpSecret: acc.totpSecret, patientId: acc.patient.id };
}

export async function startKitGateway(
  tamper?: (app: FastifyInstance) => void | Promise<void>,
): Promise<KitGateway> {
  const certs = await certificates();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-kit-gw-'));
  const cfg = config(dir, certs);
  const store = openStore({ path: path.join(dir, 'hddt.sqlite') });
  const services = await createServices(cfg, { store, logger: pino({ level: 'silent' }) });
  const a = await patient(services, 'kit-patient-a');
  const b = await patient(services, 'kit-patient-b');
  seed(services, a, b);
  const app = await buildServer(services, { tls: { cert: certs.serverCertPem, key: certs.serverKeyPem } });
  await tamper?.(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `https://localhost:${(app.server.address() as AddressInfo).port}`;
  cfg.server.issuer = url;
  // the log's folder appears with its first line; the kit checks the path exists before the run
  fs.mkdirSync(path.join(dir, 'logs', 'requests'), { recursive: true, mode: 0o700 });
  const loginScript = path.join(dir, 'login-script.json');
  const creds = (p: TestPatient) => ({
    username: p.username,
    password: p.password,
    totpSecret: p.totpSecret,
  });
  fs.writeFileSync(
    loginScript,
    JSON.stringify({ patients: { a: creds(a), b: creds(b) }, timeoutMs: 30_000 }),
  );
  return {
    url,
    dir,
    certs,
    services,
    app,
    a,
    b,
    loginScript,
    requestLogDir: path.join(dir, 'logs', 'requests'),
    async close() {
      await app.close();
      services.directory.stop();
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The kit's command-line options for this gateway (client 1 is the DiGA, client 2 "another DiGA"). */
export function kitArgs(gw: KitGateway, reportDir: string): string[] {
  const [c, other] = gw.certs.clients;
  return [
    ...['--base', gw.url, '--client-id', c!.clientId, '--redirect-uri', c!.redirectUri],
    ...['--client-cert', c!.certFile, '--client-key', c!.keyFile, '--ca', gw.certs.caFile],
    ...['--other-client-cert', other!.certFile, '--other-client-key', other!.keyFile],
    ...['--login-script', gw.loginScript, '--request-log', gw.requestLogDir, '--report', reportDir],
  ];
}
