// Memory of the gateway process alone (bench/rig.ts: the packaged build with BLE, serial, the HTTPS server, MQTT
// and the operator server enabled), read from /proc/<pid>/status as RSS and its anonymous part (RssAnon: heap,
// stacks; the rest is file-backed: code and SQLite's memory map of the database, which is page cache). Idle
// after start-up, then under FHIR load (autocannon in a worker thread of this process, 20 connections over
// mTLS, Observation pages and reads of a 30-day, two-patient store) for three minutes, sampled every second:
// the maximum, and the slope of a straight line through the samples after the first 30 s (growth).
// npm run build && npm run bench -- memory [--load-seconds 180] [--idle-seconds 20] [--connections 20]
import os from 'node:os';
import { pino } from 'pino';
import { loadConfig } from '../config/load.ts';
import { openStore } from '../gateway/store/store.ts';
import { createServices } from '../server/start.ts';
import { cannon, fetchJson, fill, pairAndIssueToken } from './fhir.ts';
import { median, memory, packagedBuild, round, startGateway, startRig, type Rig } from './rig.ts';

const TARGET = { idleRssMb: 90, loadRssMb: 140 };

function arg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
}

type Sample = ReturnType<typeof memory> & { atS: number };

/** Samples the process every second while `during` runs (or for `seconds` when there is nothing to run). */
async function sample(pid: number, during: Promise<unknown> | number): Promise<Sample[]> {
  const t0 = performance.now();
  const out: Sample[] = [];
  const take = () => out.push({ ...memory(pid), atS: (performance.now() - t0) / 1000 });
  take();
  const timer = setInterval(take, 1000);
  try {
    await (typeof during === 'number' ? new Promise((r) => setTimeout(r, during * 1000)) : during);
  } finally {
    clearInterval(timer);
  }
  take();
  return out;
}

/** Least-squares slope of `key` over time, in MB per minute. */
function slope(samples: Sample[], key: 'rss' | 'rssAnon'): number {
  const xs = samples.map((s) => s.atS / 60);
  const ys = samples.map((s) => s[key]);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : round(num / den, 2);
}

const summary = (samples: Sample[]) => ({
  rssMb: round(median(samples.map((s) => s.rss)), 1),
  rssAnonMb: round(median(samples.map((s) => s.rssAnon)), 1),
  rssFileMb: round(median(samples.map((s) => s.rssFile)), 1),
});

/** A 30-day store for two patients (bench/fhir.ts), and a long-lived access token of the first one's grant. */
async function fillAndAuthorize(rig: Rig) {
  const config = loadConfig({ file: rig.configFile, env: {} });
  const store = openStore({ path: `${rig.dataDir}/hddt.sqlite` });
  try {
    const now = Date.now();
    const { start, patients } = fill(store, 30, new Date(now));
    const services = await createServices(config, { store, logger: pino({ level: 'silent' }) });
    const client = rig.certs.clients[0];
    const token = await pairAndIssueToken(services, patients[0], client, now);
    return { token, since: start.toISOString(), tls: { cert: client.certPem, key: client.keyPem } };
  } finally {
    store.close();
  }
}

/** The load's paths: every search page of the store's Observations, each followed by ten reads from it. */
async function loadPaths(
  rig: Awaited<ReturnType<typeof startRig>>,
  headers: Record<string, string>,
  since: string,
  tls: { cert: string; key: string },
): Promise<{ pages: string[]; reads: string[]; paths: string[] }> {
  const pages: string[] = [];
  const reads: string[] = [];
  for (let next: string | undefined = `${rig.url}/fhir/Observation?date=ge${since}&_count=100`; next;) {
    const u = new URL(next);
    pages.push(u.pathname + u.search);
    const b = await fetchJson(next, headers, { ...tls, ca: rig.certs.caCertPem });
    for (const e of (b.entry ?? []) as Array<{ resource: { id: string } }>)
      reads.push(`/fhir/Observation/${e.resource.id}`);
    next = ((b.link ?? []) as Array<{ relation: string; url: string }>).find(
      (l) => l.relation === 'next',
    )?.url;
  }
  if (reads.length === 0)
    throw new Error('the FHIR walk found no Observations: the token or the fill is wrong');
  return { pages, reads, paths: pages.flatMap((p, i) => [p, ...reads.slice(i * 10, i * 10 + 10)]) };
}

export async function run(args: string[] = []): Promise<object> {
  const loadSeconds = arg(args, 'load-seconds', 180);
  const idleSeconds = arg(args, 'idle-seconds', 20);
  const connections = arg(args, 'connections', 20);
  const loadBefore = os.loadavg().map((l) => round(l, 1));
  const pkg = packagedBuild();
  const rig = await startRig({
    rateLimit: { max: 10_000_000, windowMs: 1000 },
    oauth: { accessTokenSeconds: 3600 },
    fhir: {
      rateLimit: { perClient: { max: 0, windowSeconds: 60 }, perPairing: { max: 0, windowSeconds: 60 } },
    },
  });
  try {
    const { token, since, tls } = await fillAndAuthorize(rig);
    const gw = await startGateway([pkg.bin], rig);
    try {
      const pid = gw.child.pid!;
      const afterStart = memory(pid);
      // settle (the BLE meter's backfill, the first MQTT drain), then idle
      await new Promise((r) => setTimeout(r, 10_000));
      const idle = await sample(pid, idleSeconds);

      const headers = { authorization: `Bearer ${token}`, accept: 'application/fhir+json' };
      const { pages, reads, paths } = await loadPaths(rig, headers, since, tls);
      let result: Awaited<ReturnType<typeof cannon>> | undefined;
      const load = await sample(
        pid,
        cannon(rig.url, paths, headers, tls, loadSeconds, connections).then((r) => (result = r)),
      );
      const steady = load.filter((s) => s.atS >= 30);
      const after = await sample(pid, idleSeconds);
      const peak = memory(pid).hwm;
      return {
        node: process.version,
        buildCurrent: pkg.current,
        loadAverage: { before: loadBefore, after: os.loadavg().map((l) => round(l, 1)) },
        parts: ['ble', 'serial', 'server', 'mqtt', 'operator'],
        store: { days: 30, patients: 2, observationPages: pages.length, observationsRead: reads.length },
        afterStart: { rssMb: afterStart.rss, rssAnonMb: afterStart.rssAnon, rssFileMb: afterStart.rssFile },
        idle: {
          seconds: idleSeconds,
          ...summary(idle),
          target: TARGET.idleRssMb,
          met: summary(idle).rssMb <= TARGET.idleRssMb,
        },
        load: {
          seconds: loadSeconds,
          connections,
          ...result,
          maxRssMb: round(Math.max(...load.map((s) => s.rss)), 1),
          maxRssAnonMb: round(Math.max(...load.map((s) => s.rssAnon)), 1),
          medianRssMb: summary(load).rssMb,
          medianRssAnonMb: summary(load).rssAnonMb,
          peakRssMb: peak,
          slopeRssMbPerMin: slope(steady, 'rss'),
          slopeRssAnonMbPerMin: slope(steady, 'rssAnon'),
          target: TARGET.loadRssMb,
          met: Math.max(...load.map((s) => s.rss)) <= TARGET.loadRssMb,
        },
        afterLoad: summary(after),
        note: "RSS includes SQLite's memory map of the database (file cache, in rssFileMb); RssAnon is the heap",
      };
    } finally {
      await gw.stop();
    }
  } finally {
    await rig.close();
    pkg.cleanup();
  }
}
