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

export async function startDemo(o: DemoOptions): Promise<Demo> {
  const dataDir = path.resolve(o.dataDir);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const certs = await ensureCertificates(dataDir);
  // 0 = any free port; unset = the usual port if it is free.
  const pick = async (given: number | undefined, usual: number) =>
    given === 0 ? freePort() : (given ?? ((await portFree(usual)) ? usual : await freePort()));
  const port = await pick(o.port, 8443);
  const operatorPort = await pick(o.operatorPort, 9464);

  let ble: BleDevices | undefined;
  let gw: RunningGateway | undefined;
  let serial: SerialMeter | undefined;
  let client: DigaClient | undefined;
  let serialTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  let wake: (() => void) | undefined;

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    wake?.();
    if (serialTimer) clearInterval(serialTimer);
    client?.close();
    await serial?.close().catch(() => undefined);
    await gw?.stop().catch(() => undefined);
    await ble?.close().catch(() => undefined);
  };

  try {
    ble = await startBleDevices({
      speed: o.speed,
      catchUpMinutes: o.catchUpMinutes,
      historyDays: o.historyDays,
    });
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
    const log = createLogger(config.log.level);
    gw = await startGateway(config, log, components(config));
    const store = gw.ctx.store;
    const base = `https://localhost:${port}`;

    const patient = await ensureDemoPatient(store, dataDir, Date.now());
    assignDevice(store, CGM_KEY, patient.patientId, Date.now());
    assignDevice(store, METER_KEY, patient.patientId, Date.now());
    serial = await startSerialMeter({
      store,
      timeZone: config.timezone,
      ingest: ingestOptionsFromConfig(config),
    });

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

    const dump = async () => {
      const r = await serial!.dump();
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
        serialTimer = setInterval(() => void dump().catch(() => undefined), 5 * 60_000);
        serialTimer.unref();

        // Wait until the CGM history and the glucose meter's memory came in over BLE.
        const want = Math.floor(o.historyDays * 1440 * 0.98);
        const t0 = Date.now();
        let last = -1;
        for (;;) {
          if (stopped) return;
          const cgm = countReadings(store, CGM_KEY);
          const bgm = countReadings(store, METER_KEY);
          if (cgm >= want && bgm > 0) {
            o.print(
              `BLE backfill: ${cgm} CGM records, ${bgm} glucose meter records (${Math.round((Date.now() - t0) / 1000)} s)`,
            );
            ble!.startLive();
            o.print(
              `CGM live: catching up on the last ${o.catchUpMinutes} min at ${o.speed}x, then a reading a minute`,
            );
            break;
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

        // The DiGA: a fresh client each run (its state folder is reset).
        fs.rmSync(clientDir, { recursive: true, force: true });
        client = await DigaClient.open({
          issuer: base,
          fhirBase: `${base}/fhir`,
          clientId: certs.client.clientId,
          redirectUri: certs.client.redirectUri,
          certFile: certs.client.certFile,
          keyFile: certs.client.keyFile,
          caFile: certs.caFile,
          stateDir: clientDir,
          outFile: path.join(clientDir, 'resources.jsonl'),
        });
        o.print(
          `DiGA client ${certs.client.clientId}: metadata read (PAR required, PKCE S256, tls_client_auth); FHIR ${client.capabilities.fhirVersion}`,
        );
        const paired = await client.pairWithCredentials(['bloodGlucose', 'cgm'], patient);
        o.print(
          `DiGA client paired (PAR → login + TOTP → consent → code → tokens): ${paired.mivs.join(', ')}`,
        );
        const r = await client.pollOnce();
        o.print(`DiGA client poll: ${formatPoll(r)}`);
        o.print(`DiGA client output: ${path.join(clientDir, 'resources.jsonl')}`);
        o.print('--- summary ---');
        for (const line of client.formatSummary(await client.summary())) o.print(line);
        o.print('---------------');
      },
      async keepPolling() {
        while (!stopped && client) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, o.pollSeconds * 1000).unref();
          });
          if (stopped) break;
          const r = await client.pollOnce();
          const s = await client.summary();
          const latest = s.latestCgm
            ? `latest CGM ${s.latestCgm.value} ${s.latestCgm.unit} at ${s.latestCgm.at}`
            : '';
          o.print(`${new Date().toISOString()} poll: ${formatPoll(r)}; ${latest}`);
        }
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
