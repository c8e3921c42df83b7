// `hddt-gateway demo`: the whole system on one machine. Gateway on the embedded defaults (data in
// ./data/demo, development certificates, a demo DiGA directory), simulated BLE CGM + glucose meter on the
// virtual controller, a simulated serial meter on a pty, a demo patient, and the reference DiGA client
// pairing through the patient pages and polling. `smoke` runs one pass and returns.
import fs from 'node:fs';
import path from 'node:path';
import { DigaClient } from '../diga-client/client.ts';
import type { PollReport } from '../diga-client/poller.ts';
import { loadConfig } from '../config/load.ts';
import { startGateway } from '../wiring/gateway.ts';
import { type RunningGateway } from '../wiring/component.ts';
import { components } from '../wiring/components.ts';
import { ingestOptionsFromConfig } from '../gateway/hddt/mapping.ts';
import { createLogger } from '../gateway/log.ts';
import { countReadings } from '../gateway/store/readings.ts';
import { assignDevice } from '../gateway/store/patients.ts';
import {
  CGM_KEY,
  METER_KEY,
  startBleDevices,
  startSerialMeter,
  type BleDevices,
  type SerialMeter,
} from './devices.ts';
import { ensureDemoPatient } from './patient.ts';
import { demoOverrides, ensureCertificates, freePort, portFree } from './setup.ts';

export interface DemoOptions {
  dataDir: string;
  /** HTTPS port of the gateway (default 8443, or a free one if taken; 0 = a free one). */
  port?: number;
  /** Operator status page port (default 9464, or a free one if taken; 0 = a free one). */
  operatorPort?: number;
  /** CGM catch-up speed (60 = a minute of readings per second). */
  speed: number;
  /** Minutes the CGM history ends before now, filled live at `speed`×. */
  catchUpMinutes: number;
  historyDays: number;
  logLevel: string;
  /** Seconds between the DiGA client's poll cycles (interactive mode). */
  pollSeconds: number;
  /** Stop waiting for the BLE backfill after this long. */
  backfillTimeoutMs: number;
  print: (line: string) => void;
}

export interface Demo {
  /** Pairs the DiGA client, polls once and prints what it fetched. */
  firstPass(): Promise<void>;
  /** Polls every pollSeconds until stop(). */
  keepPolling(): Promise<void>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function formatPoll(r: PollReport): string {
  const w = r.written;
  return (
    `+${w.cgm} CGM chunk versions, +${w.bg} BG observations, +${w.device} Device, +${w.deviceMetric} DeviceMetric; ` +
    `${r.finalized.length} chunk(s) turned final, ${r.backfilled.length} backfilled (via _lastUpdated), ${r.openChunks} open`
  );
}

/** What a running demo holds; stop() closes whatever of it was started. */
interface Parts {
  ble?: BleDevices;
  gw?: RunningGateway;
  serial?: SerialMeter;
  client?: DigaClient;
  serialTimer?: NodeJS.Timeout;
  stopped: boolean;
  wake?: () => void;
}

type Store = RunningGateway['ctx']['store'];
type Certs = Awaited<ReturnType<typeof ensureCertificates>>;
type Patient = Awaited<ReturnType<typeof ensureDemoPatient>>;

interface Started {
  store: Store;
  base: string;
  patient: Patient;
}

export async function startDemo(o: DemoOptions): Promise<Demo> {
  const dataDir = path.resolve(o.dataDir);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const certs = await ensureCertificates(dataDir);
  const parts: Parts = { stopped: false };
  const stop = () => stopParts(parts);
  try {
    const { store, base, patient } = await startParts(o, dataDir, certs, parts);
    const dump = async () => {
      const r = await parts.serial!.dump();
      if (r.deviceKey) assignDevice(store, r.deviceKey, patient.patientId, Date.now());
      return r;
    };
    const clientDir = path.join(dataDir, 'diga-client');
    return {
      async firstPass() {
        const d = await dump();
        o.print(
          `serial meter ${d.deviceKey ?? '?'}: read ${d.read}, stored ${d.stored}, duplicates ${d.duplicates}${d.error ? `, error ${d.error.message}` : ''}`,
        );
        parts.serialTimer = setInterval(() => void dump().catch(() => undefined), 5 * 60_000);
        parts.serialTimer.unref();
        if (!(await waitForBackfill(o, store, parts))) return;
        parts.client = await pairClient(o, { certs, base, clientDir, patient });
      },
      keepPolling: () => keepPolling(o, parts),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function stopParts(p: Parts): Promise<void> {
  if (p.stopped) return;
  p.stopped = true;
  p.wake?.();
  if (p.serialTimer) clearInterval(p.serialTimer);
  p.client?.close();
  await p.serial?.close().catch(() => undefined);
  await p.gw?.stop().catch(() => undefined);
  await p.ble?.close().catch(() => undefined);
}

/** The simulated devices, the gateway, the demo patient and the serial meter, printed for the user. */
async function startParts(o: DemoOptions, dataDir: string, certs: Certs, p: Parts): Promise<Started> {
  // 0 = any free port; unset = the usual port if it is free.
  const pick = async (given: number | undefined, usual: number) =>
    given === 0 ? freePort() : (given ?? ((await portFree(usual)) ? usual : await freePort()));
  const port = await pick(o.port, 8443);
  const operatorPort = await pick(o.operatorPort, 9464);
  const ble = (p.ble = await startBleDevices({
    speed: o.speed,
    catchUpMinutes: o.catchUpMinutes,
    historyDays: o.historyDays,
  }));
  const config = loadConfig({
    overrides: demoOverrides({
      dataDir,
      certs,
      serverPort: port,
      operatorPort,
      blePty: ble.sim.ptyPath,
      logLevel: o.logLevel,
    }),
  });
  p.gw = await startGateway(config, createLogger(config.log.level), components(config));
  const store = p.gw.ctx.store;
  const base = `https://localhost:${port}`;

  const patient = await ensureDemoPatient(store, dataDir, Date.now());
  assignDevice(store, CGM_KEY, patient.patientId, Date.now());
  assignDevice(store, METER_KEY, patient.patientId, Date.now());
  const serial = (p.serial = await startSerialMeter({
    store,
    timeZone: config.timezone,
    ingest: ingestOptionsFromConfig(config),
  }));

  o.print(`hddt-gateway demo — data in ${dataDir}`);
  o.print(
    `  gateway (HDDT AS + FHIR):  ${base}  (metadata ${base}/.well-known/oauth-authorization-server, FHIR ${base}/fhir/metadata)`,
  );
  o.print(`  patient pages:             ${base}/account/  (CA: ${certs.caFile})`);
  o.print(`  operator status page:      http://127.0.0.1:${operatorPort}/`);
  o.print(
    `  BLE: virtual controller on ${ble.sim.ptyPath} (CGM ${CGM_KEY.slice(4)}, glucose meter ${METER_KEY.slice(4)})`,
  );
  o.print(`  serial: OneTouch Ultra 2 on ${serial.path}`);
  o.print(
    `  demo patient ${patient.username}${patient.created ? ' (new)' : ''}: password ${patient.password}  TOTP secret ${patient.totpSecret}`,
  );
  return { store, base, patient };
}

/** Waits until the CGM history and the glucose meter's memory came in over BLE, then starts live readings. */
async function waitForBackfill(o: DemoOptions, store: Store, p: Parts): Promise<boolean> {
  const want = Math.floor(o.historyDays * 1440 * 0.98);
  const t0 = Date.now();
  let last = -1;
  while (!p.stopped) {
    const cgm = countReadings(store, CGM_KEY);
    const bgm = countReadings(store, METER_KEY);
    if (cgm >= want && bgm > 0) {
      o.print(
        `BLE backfill: ${cgm} CGM records, ${bgm} glucose meter records (${Math.round((Date.now() - t0) / 1000)} s)`,
      );
      p.ble!.startLive();
      o.print(
        `CGM live: catching up on the last ${o.catchUpMinutes} min at ${o.speed}x, then a reading a minute`,
      );
      return true;
    }
    if (Date.now() - t0 > o.backfillTimeoutMs) {
      throw new Error(
        `BLE backfill incomplete after ${o.backfillTimeoutMs / 1000} s: ${cgm} CGM, ${bgm} meter records`,
      );
    }
    if (cgm !== last && Date.now() - t0 > 5000)
      o.print(`BLE backfill: ${cgm} CGM records, ${bgm} meter records so far`);
    last = cgm;
    await sleep(1000);
  }
  return false;
}

/** The DiGA: a fresh client each run (its state folder is reset), paired through the pages, polled once. */
async function pairClient(
  o: DemoOptions,
  a: { certs: Certs; base: string; clientDir: string; patient: Patient },
): Promise<DigaClient> {
  fs.rmSync(a.clientDir, { recursive: true, force: true });
  const client = await DigaClient.open({
    issuer: a.base,
    fhirBase: `${a.base}/fhir`,
    clientId: a.certs.client.clientId,
    redirectUri: a.certs.client.redirectUri,
    certFile: a.certs.client.certFile,
    keyFile: a.certs.client.keyFile,
    caFile: a.certs.caFile,
    stateDir: a.clientDir,
    outFile: path.join(a.clientDir, 'resources.jsonl'),
  });
  try {
    o.print(
      `DiGA client ${a.certs.client.clientId}: metadata read (PAR required, PKCE S256, tls_client_auth); FHIR ${client.capabilities.fhirVersion}`,
    );
    const paired = await client.pairWithCredentials(['bloodGlucose', 'cgm'], a.patient);
    o.print(`DiGA client paired (PAR → login + TOTP → consent → code → tokens): ${paired.mivs.join(', ')}`);
    const r = await client.pollOnce();
    o.print(`DiGA client poll: ${formatPoll(r)}`);
    o.print(`DiGA client output: ${path.join(a.clientDir, 'resources.jsonl')}`);
    o.print('--- summary ---');
    for (const line of client.formatSummary(await client.summary())) o.print(line);
    o.print('---------------');
    return client;
  } catch (err) {
    client.close();
    throw err;
  }
}

async function keepPolling(o: DemoOptions, p: Parts): Promise<void> {
  while (!p.stopped && p.client) {
    await new Promise<void>((resolve) => {
      p.wake = resolve;
      setTimeout(resolve, o.pollSeconds * 1000).unref();
    });
    if (p.stopped) break;
    const r = await p.client.pollOnce();
    const s = await p.client.summary();
    const latest = s.latestCgm
      ? `latest CGM ${s.latestCgm.value} ${s.latestCgm.unit} at ${s.latestCgm.at}`
      : '';
    o.print(`${new Date().toISOString()} poll: ${formatPoll(r)}; ${latest}`);
  }
}
