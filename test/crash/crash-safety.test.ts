// Crash safety: the gateway process is SIGKILLed at random points during (a) a BLE CGM backfill (real noble over
// the virtual controller on a pty), (b) a serial meter dump (ASTM meter on a pty), (c) FHIR load (concurrent
// searches and reads over mTLS while readings are ingested) and (d) an MQTT outbox drain (real mosquitto).
// After every kill the database must reopen, pass PRAGMA integrity_check, still hold every reading a read-only
// connection saw right before the kill, and hold nothing twice; the request log chain must verify. The next
// run restarts the process on the same files, and a last uncut run must complete to exactly the expected
// totals. Random points come from one seed: CRASH_SEED=<n> repeats a run; the seed is printed on failure.
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VirtualController } from '../../firmware-bridge/hci/index.ts';
import { createMeterPty } from '../../firmware-bridge/meters/pty-pair.ts';
import { syntheticRecords } from '../../firmware-bridge/meters/scenario.ts';
import { startMeter } from '../../firmware-bridge/meters/simulator.ts';
import { CgmSimulator } from '../../firmware-bridge/peripherals/index.ts';
import { outboxStats } from '../../gateway/store/outbox.ts';
import { openStore } from '../../gateway/store/store.ts';
import { Consumer } from '../../gateway/sync/consumer.ts';
import { verifyLogsAt } from '../../server/audit/request-log-verify.ts';
import { generateDevCertificates } from '../../server/dev-certs.ts';
import { Broker } from '../../bench/rigs/broker.ts';
import {
  consumerOptions,
  differences,
  makePlan,
  mulberry32,
  openGatewayStore,
  publisherOptions,
  writePhase,
} from '../gateway/sync/fixtures/sync-env.ts';
import { tempDir } from '../helpers/tmp.ts';
import { checkDatabase, readingCount, readingIdentities, resourceVersions } from './fixtures/db-checks.ts';
import { killAll, Proc } from './fixtures/proc.ts';
import { crashReadings } from './fixtures/readings.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = (name: string) => path.join(here, 'fixtures', name);
const PUBLISHER_CHILD = path.join(here, '../gateway/sync/fixtures/publisher-child.ts');

const SEED = process.env.CRASH_SEED ? Number(process.env.CRASH_SEED) : Math.floor(Math.random() * 2 ** 31);
const T = { timeout: 300_000 };
const kills: Record<string, number> = {};

const tmp = tempDir('hddt-crash-');
const cleanups: Array<() => unknown> = [];
after(async () => {
  await killAll();
  for (const c of cleanups.reverse()) await c();
  tmp.cleanup();
});

/** Runs a scenario with its own random stream; a failure names the seed that repeats it. */
async function seeded(
  t: TestContext,
  salt: number,
  body: (rnd: () => number) => Promise<void>,
): Promise<void> {
  t.diagnostic(`CRASH_SEED=${SEED}`);
  try {
    await body(mulberry32(SEED + salt));
  } catch (err) {
    const e = err as Error;
    const where = (e.stack ?? String(err)).split('\n').slice(0, 4).join(' | ');
    throw new Error(`${e.message || String(err)} (repeat with CRASH_SEED=${SEED}) at ${where}`, {
      cause: err,
    });
  }
}

async function until(what: string, cond: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

// ── (a) BLE backfill ────────────────────────────────────────────────────────────────────────────────────
test('BLE backfill: SIGKILL at random points, restart resumes, exactly the history once', T, async (t) => {
  await seeded(t, 1, async (rnd) => {
    const N = 3000;
    const RUNS = 6;
    const dataDir = path.join(tmp.dir, 'ble');
    const db = path.join(dataDir, 'hddt.sqlite');
    // recent: the gateway does not store what lies past the historic data period
    const sessionStart = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 3 * 86_400_000);
    const start = async () => {
      const controller = await VirtualController.start();
      // The host end of the pty dies with the killed gateway: closing the controller's end then reports
      // 'Canceled' / 'Port is not open' from serialport, expected here.
      controller.on('error', (err: Error) => {
        if (!/Canceled|Port is not open/.test(err.message)) t.diagnostic(`controller: ${err.message}`);
      });
      const cgm = new CgmSimulator(controller, {
        address: 'c0:11:22:33:44:55',
        serial: 'CGM-CRASH',
        sessionStart,
        timeZoneMinutes: 60,
        dstOffsetMinutes: 0,
        history: { count: N },
        e2eCrc: true,
        live: false,
      });
      const proc = new Proc(fixture('ble-gateway.ts'), { dataDir, uartPort: controller.hostPath });
      const close = async () => {
        await proc.kill('SIGKILL');
        cgm.close();
        await controller.close();
      };
      cleanups.push(close);
      return { controller, cgm, proc, close };
    };
    for (let run = 0; run < RUNS; run++) {
      const stored = readingCount(db);
      // somewhere in this run's share of what is left, so the last restart still has records to fetch
      const target = stored + 1 + Math.floor((rnd() * (N - stored)) / (RUNS - run + 1));
      const r = await start();
      await until(`backfill to reach ${target}`, () => readingCount(db) >= target || !r.proc.running);
      assert.ok(r.proc.running, `gateway ended early: ${r.proc.output.slice(-1000)}`);
      const before = readingIdentities(db);
      const exit = await r.proc.kill('SIGKILL');
      assert.equal(exit.signal, 'SIGKILL');
      await r.close();
      const after = checkDatabase(db, before);
      assert.ok(
        after.readings.size >= target && after.readings.size < N,
        `run ${run}: ${after.readings.size}`,
      );
      kills.ble = (kills.ble ?? 0) + 1;
    }
    const r = await start();
    await until(`backfill to complete`, () => readingCount(db) >= N);
    // it asked only for what was missing
    assert.match(r.cgm.racpRequests[0]!.hex, /^0103/, 'RACP: greater than or equal to the next offset');
    const exit = await r.proc.kill('SIGTERM');
    assert.equal(exit.code, 0, r.proc.output.slice(-1000));
    await r.close();
    const done = checkDatabase(db);
    const want = new Set(
      Array.from({ length: N }, (_, i) => `ble:c0:11:22:33:44:55|cgm:${sessionStart.toISOString()}:${i}`),
    );
    assert.equal(done.readings.size, N);
    assert.deepEqual(
      [...done.readings].filter((k) => !want.has(k)),
      [],
    );
  });
});

// ── (b) serial dump ─────────────────────────────────────────────────────────────────────────────────────
test('serial dump: SIGKILL while reading or storing, a re-dump stores every record once', T, async (t) => {
  await seeded(t, 2, async (rnd) => {
    const N = 300;
    const RUNS = 5;
    const db = path.join(tmp.dir, 'serial.sqlite');
    const records = syntheticRecords(N, { newest: '2025-10-27T12:00:00' });
    const start = async () => {
      const pty = await createMeterPty();
      const meter = await startMeter(
        { protocol: 'astm', serial: '7390-2336773', unit: 'mg/dL', clock: '2025-10-27T12:05:00', records },
        { path: pty.meterPath },
      );
      const proc = new Proc(fixture('dump-child.ts'), { db, port: pty.gatewayPath, protocol: 'astm' });
      const close = async () => {
        await proc.kill('SIGKILL');
        await meter.stop();
        await pty.close();
      };
      cleanups.push(close);
      return { proc, close };
    };
    for (let run = 0; run < RUNS; run++) {
      const r = await start();
      await r.proc.line(/^ready$/);
      // half the kills while records arrive, half around the moment they are stored (after the last one)
      if (run % 2 === 0) {
        const at = 1 + Math.floor(rnd() * (N - 1));
        await r.proc.line(new RegExp(`^progress ${at} `));
      } else {
        await r.proc.line(new RegExp(`^progress ${N} `));
        await new Promise((res) => setTimeout(res, Math.floor(rnd() * 40)));
      }
      const before = readingIdentities(db);
      await r.proc.kill('SIGKILL');
      await r.close();
      const after = checkDatabase(db, before);
      assert.ok(after.readings.size === 0 || after.readings.size === N, 'one dump is one transaction');
      kills.serial = (kills.serial ?? 0) + 1;
    }
    const r = await start();
    const result = JSON.parse(await r.proc.line(/^\{/)) as {
      read: number;
      stored: number;
      duplicates: number;
    };
    assert.equal(result.read, N);
    assert.equal(result.stored + result.duplicates, N);
    assert.equal((await r.proc.exited).code, 0);
    await r.close();
    assert.equal(checkDatabase(db).readings.size, N);
  });
});

// ── (c) FHIR load ───────────────────────────────────────────────────────────────────────────────────────
test(
  'FHIR load: SIGKILL under concurrent searches and reads while ingesting; log chain intact',
  T,
  async (t) => {
    await seeded(t, 3, async (rnd) => {
      const CGM = 600;
      const BG_DAYS = 2;
      const RUNS = 5;
      const dataDir = path.join(tmp.dir, 'fhir');
      const db = path.join(dataDir, 'hddt.sqlite');
      const logDir = path.join(dataDir, 'logs/requests');
      const certs = await generateDevCertificates({ outDir: path.join(dataDir, 'certs'), clients: 1 });
      fs.mkdirSync(path.join(dataDir, 'tls'), { recursive: true });
      fs.copyFileSync(certs.serverCertFile, path.join(dataDir, 'tls/server.crt'));
      fs.copyFileSync(certs.serverKeyFile, path.join(dataDir, 'tls/server.key'));
      const client = certs.clients[0]!;
      const startAt = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 86_400_000);
      const total = crashReadings(startAt, CGM, BG_DAYS).length;
      const arg = {
        dataDir,
        clientId: client.clientId,
        directoryFile: certs.directoryFile,
        start: startAt.toISOString(),
        cgm: CGM,
        bg: BG_DAYS,
      };

      /** Searches and reads in `n` parallel loops until `stop()`; counts answers, fails on any 5xx. */
      const load = (url: string, token: string, n: number) => {
        const agent = new https.Agent({
          keepAlive: true,
          ca: certs.caCertPem,
          cert: client.certPem,
          key: client.keyPem,
        });
        let stopped = false;
        const counts = { ok: 0, failed: 0 };
        const ids: string[] = [];
        const get = (p: string) =>
          new Promise<{ status: number; body: string }>((resolve, reject) => {
            const req = https.get(
              `${url}${p}`,
              { agent, headers: { authorization: `Bearer ${token}` } },
              (res) => {
                let body = '';
                res.on('data', (d: Buffer) => (body += d.toString()));
                res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
                res.on('error', reject);
              },
            );
            req.on('error', reject);
          });
        const loop = async (k: number) => {
          for (let i = 0; !stopped; i++) {
            const paths = [
              '/fhir/Observation?_count=50',
              `/fhir/Observation?code=http://loinc.org|41653-7&_count=20`,
              '/fhir/Device',
              '/fhir/DeviceMetric',
              ids.length ? `/fhir/Observation/${ids[(i * 7 + k) % ids.length]}` : '/fhir/metadata',
            ];
            try {
              const r = await get(paths[(i + k) % paths.length]!);
              if (r.status >= 500) throw new Error(`server error ${r.status}: ${r.body.slice(0, 300)}`);
              assert.ok(r.status === 200 || r.status === 404, `${r.status}: ${r.body.slice(0, 200)}`);
              if (r.status === 200) {
                const b = JSON.parse(r.body) as {
                  resourceType: string;
                  entry?: Array<{ resource: { id: string; resourceType: string } }>;
                };
                for (const e of b.entry ?? [])
                  if (e.resource.resourceType === 'Observation' && ids.length < 200) ids.push(e.resource.id);
              }
              counts.ok++;
            } catch (err) {
              if (err instanceof assert.AssertionError || /server error/.test((err as Error).message))
                throw err;
              counts.failed++; // the connection went with the process
              if (!stopped) await new Promise((res) => setTimeout(res, 10));
            }
          }
        };
        const loops = Array.from({ length: n }, (_, k) => loop(k));
        return {
          counts,
          async stop() {
            stopped = true;
            await Promise.all(loops);
            agent.destroy();
          },
        };
      };

      for (let run = 0; run < RUNS; run++) {
        const proc = new Proc(fixture('fhir-load-child.ts'), arg);
        cleanups.push(() => proc.kill('SIGKILL'));
        const ready = JSON.parse(await proc.line(/^\{/)) as { url: string; token: string };
        const traffic = load(ready.url, ready.token, 4);
        const target = 25 * (1 + Math.floor(rnd() * (total / 25 - 1)));
        await proc.line(new RegExp(`^progress (${target}|${total})$`));
        await until('a few answers', () => traffic.counts.ok >= 3 || !proc.running, 30_000);
        const before = readingIdentities(db);
        await proc.kill('SIGKILL');
        await traffic.stop();
        assert.ok(traffic.counts.ok > 0, 'the server answered before the kill');
        checkDatabase(db, before);
        const chain = verifyLogsAt(logDir, db);
        assert.ok(chain.ok, `request log after kill ${run}: ${JSON.stringify(chain.error)}`);
        kills.fhir = (kills.fhir ?? 0) + 1;
      }
      const proc = new Proc(fixture('fhir-load-child.ts'), arg);
      cleanups.push(() => proc.kill('SIGKILL'));
      const ready = JSON.parse(await proc.line(/^\{/)) as { url: string; token: string };
      const traffic = load(ready.url, ready.token, 2);
      await proc.line(/^done$/);
      await until('answers after the restart', () => traffic.counts.ok >= 5, 30_000);
      await traffic.stop();
      assert.equal((await proc.kill('SIGTERM')).code, 0, proc.output.slice(-1000));
      assert.equal(checkDatabase(db).readings.size, total);
      const chain = verifyLogsAt(logDir, db);
      assert.ok(chain.ok, JSON.stringify(chain.error));
      assert.ok(chain.lines > 0);
    });
  },
);

// ── (d) MQTT drain ──────────────────────────────────────────────────────────────────────────────────────
test(
  'MQTT drain: publisher SIGKILLed mid-drain, restarted; the recorder ends with exactly the hub',
  T,
  async (t) => {
    await seeded(t, 4, async (rnd) => {
      const RUNS = 6;
      const dir = path.join(tmp.dir, 'mqtt');
      const broker = new Broker({ dir: path.join(dir, 'broker') });
      cleanups.push(() => broker.stop('SIGKILL'));
      await broker.start();
      const recorderFile = path.join(dir, 'recorder.sqlite');
      const recorder = openStore({ path: recorderFile });
      const consumer = new Consumer(recorder, consumerOptions(broker.url));
      cleanups.push(() => recorder.close());
      cleanups.push(() => consumer.stop());
      consumer.start();
      await until('consumer', () => consumer.stats().connected, 20_000);
      const hubFile = path.join(dir, 'hub.sqlite');
      const hub = openGatewayStore(hubFile);
      cleanups.push(() => hub.close());
      const plan = makePlan(SEED, 2, 1.5);
      writePhase(hub, plan, 0);
      writePhase(hub, plan, 1);
      const hubReadings = readingIdentities(hubFile);
      const total = outboxStats(hub).entries;
      const batchSize = 2;
      // a drain of a few seconds over all runs: long enough to kill it at random points
      const maxMessagesPerSecond = Math.max(20, Math.ceil(total / batchSize / 4));
      const options = publisherOptions('hub-a', broker.url, { batchSize, maxMessagesPerSecond });
      for (let run = 0; run < RUNS; run++) {
        const unsent = outboxStats(hub).unsent;
        // kill with at least two batches still to send: with a small remainder the target rounded down to almost
        // nothing, the rest went out and was confirmed while the kill was on its way, and the run killed a
        // publisher that had finished (seen as a flaky failure)
        const target = Math.max(2 * batchSize, Math.floor(unsent * (1 - (0.1 + 0.4 * rnd()))));
        const proc = new Proc(PUBLISHER_CHILD, { store: hubFile, options });
        cleanups.push(() => proc.kill('SIGKILL'));
        await until(
          `drain to ${target} of ${unsent}`,
          () => outboxStats(hub).unsent <= target || !proc.running,
        );
        assert.ok(proc.running, proc.output.slice(-1000));
        const before = resourceVersions(recorderFile);
        await proc.kill('SIGKILL');
        assert.ok(outboxStats(hub).entries > 0, 'killed before the drain finished');
        checkDatabase(hubFile, hubReadings);
        checkDatabase(recorderFile);
        // what the recorder held stays: a resource may move on to a later version, never back or away
        const now = new Map(
          [...resourceVersions(recorderFile)].map((k) => [k.slice(0, k.lastIndexOf('/')), k]),
        );
        for (const k of before) {
          const cur = now.get(k.slice(0, k.lastIndexOf('/')));
          assert.ok(
            cur && Number(cur.split('/').at(-1)) >= Number(k.split('/').at(-1)),
            `recorder lost ${k}`,
          );
        }
        kills.mqtt = (kills.mqtt ?? 0) + 1;
      }
      const proc = new Proc(PUBLISHER_CHILD, { store: hubFile, options });
      cleanups.push(() => proc.kill('SIGKILL'));
      await until(
        'recorder to match the hub',
        () => differences('hub-a', hub, recorder).length === 0,
        90_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}: ${differences('hub-a', hub, recorder).slice(0, 5).join('; ')}`);
      });
      await until('outbox to empty', () => outboxStats(hub).entries === 0, 60_000);
      await proc.kill('SIGTERM');
      assert.deepEqual(differences('hub-a', hub, recorder), []);
      assert.equal(checkDatabase(hubFile, hubReadings).readings.size, hubReadings.size);
      checkDatabase(recorderFile);
    });
  },
);

test('at least 20 kills in total', () => {
  const n = Object.values(kills).reduce((a, b) => a + b, 0);
  assert.ok(n >= 20, `${n} kills: ${JSON.stringify(kills)}`);
});
