// FHIR resource server benchmark: autocannon over mTLS keep-alive against the real server (buildServer +
// FHIR plugin, PEP/PDP, request log) on a 30-day data set (1-minute CGM + 8 BG a day, 2 patients):
// Observation page searches (_count=100), reads by id, _include searches; a fastify mTLS endpoint returning
// a fixed 100-entry Bundle is the ceiling. Then the store grows to 2 years and the searches are repeated.
// `npm run bench -- fhir [--duration s] [--connections n] [--years y] [--warmup s] [--in-process] [--profile DIR]` (--profile writes a
// CPU profile per measured scenario into DIR, for chrome://inspect or speedscope)
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { bgSeries, cgmSeries } from '../firmware-bridge/synthetic-readings.ts';
import { ingest } from '../gateway/ingest/pipeline.ts';
import type { Reading } from '../gateway/readings/reading.ts';
import { activateGrant, getGrant } from '../gateway/store/oauth-grants.ts';
import { addPatient, assignDevice } from '../gateway/store/patients.ts';
import { listResources, writeResourceRow } from '../gateway/store/resources.ts';
import { openStore, type Store } from '../gateway/store/store.ts';
import type { ServerServices } from '../server/services.ts';
import { ManualClock } from '../server/clock.ts';
import { tlsServerOptions } from '../server/shared/tls.ts';
import { authorize } from '../server/oauth/pairing.ts';
import { DEVICE_METRIC_SCOPE, DEVICE_SCOPE, MIV_SCOPE } from '../server/oauth/scopes.ts';
import { issueAccessToken } from '../server/oauth/tokens.ts';
import { startBenchServer } from './rigs/server.ts';

const DAY = 86_400_000;

function arg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
}

export function fill(store: Store, days: number, end: Date) {
  const start = new Date(end.getTime() - days * DAY);
  const patients = [
    addPatient(store, 'alice', start.getTime()).id,
    addPatient(store, 'bob', start.getTime()).id,
  ];
  patients.forEach((patientId, p) => {
    const cgmKey = `ble:bench:${p}:cgm`;
    const bgKey = `ble:bench:${p}:bgm`;
    const batch: Reading[] = [];
    for (let s = start.getTime(); s < end.getTime(); s += 14 * DAY) {
      const minutes = Math.min(14 * DAY, end.getTime() - s) / 60_000;
      batch.push(...cgmSeries({ deviceKey: cgmKey, sessionStart: new Date(s), count: minutes, seed: p + 1 }));
    }
    batch.push(...bgSeries({ deviceKey: bgKey, start, days, seed: p + 5 }));
    for (let i = 0; i < batch.length; i += 20_000) ingest(store, batch.slice(i, i + 20_000), { now: end });
    assignDevice(store, cgmKey, patientId, start.getTime());
    assignDevice(store, bgKey, patientId, start.getTime());
  });
  return { start, patients };
}

/**
 * Grows the store to `days` of history by copying the rendered Observations of the first 30 days backwards
 * in time (new ids, shifted periods): the served table gets the size two years of data would give it.
 */
function grow(store: Store, fromDays: number, toDays: number): number {
  const base = listResources(store, 'Observation');
  let added = 0;
  store.transaction(() => {
    for (let k = 1; k * fromDays < toDays; k++) {
      const shift = k * fromDays * DAY;
      for (const row of base) {
        const id = createHash('sha256').update(`${row.id}:${k}`).digest('hex').slice(0, 32);
        const obs = JSON.parse(row.json) as Record<string, unknown> & {
          effectivePeriod?: { start: string; end: string };
          effectiveDateTime?: string;
        };
        obs.id = id;
        if (obs.effectivePeriod) {
          obs.effectivePeriod = {
            start: new Date(Date.parse(obs.effectivePeriod.start) - shift).toISOString(),
            end: new Date(Date.parse(obs.effectivePeriod.end) - shift).toISOString(),
          };
        }
        if (obs.effectiveDateTime)
          obs.effectiveDateTime = new Date(Date.parse(obs.effectiveDateTime) - shift).toISOString();
        writeResourceRow(store, {
          ...row,
          id,
          effective_start_ms: row.effective_start_ms === null ? null : row.effective_start_ms - shift,
          effective_end_ms: row.effective_end_ms === null ? null : row.effective_end_ms - shift,
          json: JSON.stringify(obs),
        });
        added++;
      }
    }
  });
  return added;
}

/** Runs `fn` under the V8 CPU profiler when `dir` is set, writing DIR/<name>.cpuprofile. */
async function profiled<T>(dir: string | undefined, name: string, fn: () => Promise<T>): Promise<T> {
  if (!dir) return fn();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}

interface Scenario {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

/**
 * Pairs `patientId` with `client` for both MIVs and the device scopes, activates the grant and issues an
 * access token for it at `nowMs`, as the code flow would end (the bench skips the browser).
 */
export async function pairAndIssueToken(
  services: ServerServices,
  patientId: string,
  client: { clientId: string; redirectUri: string },
  nowMs: number,
): Promise<string> {
  const scope = [MIV_SCOPE.bloodGlucose, MIV_SCOPE.cgm, DEVICE_SCOPE, DEVICE_METRIC_SCOPE].join(' ');
  const auth = authorize(services, {
    patientId,
    clientId: client.clientId,
    mivs: ['bloodGlucose', 'cgm'],
    scope,
    redirectUri: client.redirectUri,
    codeChallenge: 'x'.repeat(43),
  });
  activateGrant(services.store, auth.grantId, auth.pairingId, nowMs);
  return (await issueAccessToken(services, getGrant(services.store, auth.grantId)!, scope, nowMs)).token;
}

export async function cannon(
  url: string,
  paths: string[],
  headers: Record<string, string>,
  tls: { cert: string; key: string },
  duration: number,
  connections: number,
  inProcess = false,
): Promise<Scenario> {
  // The load generator runs in its own worker thread (autocannon's `workers`), as a DiGA backend is another
  // machine: in the server's own event loop its TLS and HTTP parsing would be measured as the server's cost
  // (`--in-process` does that, as this bench did before, for comparison). Each connection walks the path list
  // in order (no per-request function: workers cannot take closures).
  const r = await autocannon({
    url,
    connections,
    pipelining: 1,
    duration,
    headers,
    tlsOptions: tls,
    workers: inProcess ? undefined : 1,
    requests: paths.map((path) => ({ method: 'GET' as const, path })),
  });
  return {
    reqPerSec: Math.round(r.requests.average),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
  };
}

export async function fetchJson(
  url: string,
  headers: Record<string, string>,
  tls: { cert: string; key: string; ca: string },
) {
  const https = await import('node:https');
  return new Promise<Record<string, unknown>>((resolve, reject) => {
    https
      .get(url, { headers, ...tls }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>),
        );
      })
      .on('error', reject);
  });
}

/** What every load run of one bench invocation shares. */
interface LoadSettings {
  url: string;
  headers: Record<string, string>;
  tls: { cert: string; key: string };
  ca: string;
  duration: number;
  connections: number;
  inProcess: boolean;
  profileDir: string | undefined;
}

/** The page URLs of a full walk from `first` to the last page, and the ids found on the way. */
async function walk(l: LoadSettings, first: string) {
  const pages: string[] = [];
  let next: string | undefined = `${l.url}${first}`;
  const ids: string[] = [];
  let firstBody: Record<string, unknown> | undefined;
  while (next) {
    pages.push(new URL(next).pathname + new URL(next).search);
    const b = await fetchJson(next, l.headers, { ...l.tls, ca: l.ca });
    firstBody ??= b;
    const entries = (b.entry ?? []) as Array<{ resource: { id: string } }>;
    ids.push(...entries.map((e) => e.resource.id));
    next = ((b.link ?? []) as Array<{ relation: string; url: string }>).find(
      (k) => k.relation === 'next',
    )?.url;
  }
  return { pages, ids, firstBody: firstBody! };
}

const load = (l: LoadSettings, label: string, paths: string[], url = l.url) =>
  profiled(l.profileDir, label, () =>
    cannon(url, paths, l.headers, l.tls, l.duration, l.connections, l.inProcess),
  );

/** Ceiling: the same TLS profile, a fixed 100-entry Bundle, no database, no auth. */
async function measureCeiling(
  l: LoadSettings,
  certs: { serverCertPem: string; serverKeyPem: string },
  fixed: string,
): Promise<Scenario> {
  const ceilingApp = Fastify({
    https: tlsServerOptions({ cert: certs.serverCertPem, key: certs.serverKeyPem }),
  });
  ceilingApp.get('/fhir/Observation', async (_req, reply) =>
    reply.type('application/fhir+json; fhirVersion=4.0; charset=utf-8').send(fixed),
  );
  await ceilingApp.listen({ host: '127.0.0.1', port: 0 });
  const ceilingPort = (ceilingApp.server.address() as { port: number }).port;
  try {
    return await load(l, 'ceiling', ['/fhir/Observation'], `https://localhost:${ceilingPort}`);
  } finally {
    await ceilingApp.close();
  }
}

type Measured = Record<'pageSearch' | 'readById' | 'includeSearch', Scenario>;

function targets(days30: Measured, longHistory: Measured, ceiling: Scenario) {
  const growth = (a: Scenario, b: Scenario) => Math.round((b.p50Ms / Math.max(a.p50Ms, 0.001)) * 100) / 100;
  const p99Growth = (a: Scenario, b: Scenario) =>
    Math.round((b.p99Ms / Math.max(a.p99Ms, 0.001)) * 100) / 100;
  return {
    ratioPageSearchToCeiling:
      Math.round((days30.pageSearch.reqPerSec / Math.max(ceiling.reqPerSec, 1)) * 100) / 100,
    latencyGrowth: {
      pageSearchP50: growth(days30.pageSearch, longHistory.pageSearch),
      pageSearchP99: p99Growth(days30.pageSearch, longHistory.pageSearch),
      readByIdP50: growth(days30.readById, longHistory.readById),
      includeSearchP50: growth(days30.includeSearch, longHistory.includeSearch),
    },
    targets: {
      pageSearchReqPerSec: { target: 2000, met: days30.pageSearch.reqPerSec >= 2000 },
      pageSearchP99Ms: { target: 50, met: days30.pageSearch.p99Ms < 50 },
      ratio: { target: 0.3, met: days30.pageSearch.reqPerSec / Math.max(ceiling.reqPerSec, 1) >= 0.3 },
      growth: {
        target: 1.5,
        met: longHistory.pageSearch.p50Ms <= 1.5 * Math.max(days30.pageSearch.p50Ms, 1),
      },
    },
  };
}

async function startServer(dir: string, store: Store, end: Date) {
  return startBenchServer({
    dir,
    store,
    clock: new ManualClock(end),
    // client certificates are checked for validity against the server clock (`end`)
    clientsValidFrom: new Date(end.getTime() - 60_000),
    server: {
      rateLimit: { max: 10_000_000, windowMs: 1000 },
      fhir: {
        rateLimit: { perClient: { max: 0, windowSeconds: 60 }, perPairing: { max: 0, windowSeconds: 60 } },
      },
    },
  });
}

/** The two searches' pages and the ids to read, walked once before measuring. */
async function walkSearches(l: LoadSettings, since: string) {
  const pageSearch = await walk(l, `/fhir/Observation?date=ge${since}&_count=100`);
  const includeSearch = await walk(
    l,
    `/fhir/Observation?date=ge${since}&_count=100&_include=Observation:device&_include:iterate=DeviceMetric:source`,
  );
  return { pageSearch, includeSearch, reads: pageSearch.ids.map((id) => `/fhir/Observation/${id}`) };
}

export async function run(args: string[] = []): Promise<object> {
  const warmup = arg(args, 'warmup', 2);
  const years = arg(args, 'years', 2);
  const profileIdx = args.indexOf('--profile');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-bench-fhir-'));
  try {
    const end = new Date('2025-11-01T00:00:00Z');
    const store = openStore({ path: path.join(dir, 'hddt.sqlite') });
    const t0 = Date.now();
    const { start, patients } = fill(store, 30, end);
    const ingestMs = Date.now() - t0;
    const { certs, services, app, url } = await startServer(dir, store, end);
    const client = certs.clients[0];
    // A long-lived token for the run (the server checks exp against its manual clock).
    const token = await pairAndIssueToken(services, patients[0], client, end.getTime());
    const l: LoadSettings = {
      url,
      headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+json' },
      tls: { cert: client.certPem, key: client.keyPem },
      ca: certs.caCertPem,
      duration: arg(args, 'duration', 10),
      connections: arg(args, 'connections', 20),
      inProcess: args.includes('--in-process'),
      profileDir: profileIdx >= 0 ? args[profileIdx + 1] : undefined,
    };
    const { pageSearch, includeSearch, reads } = await walkSearches(l, start.toISOString());
    const measure = async (label: string): Promise<Measured> => ({
      pageSearch: await load(l, `${label}-page-search`, pageSearch.pages),
      readById: await load(l, `${label}-read-by-id`, reads),
      includeSearch: await load(l, `${label}-include-search`, includeSearch.pages),
    });
    // Unmeasured warm-up of every scenario (JIT, first handshakes, statement and row caches), as the
    // ceiling and the two-year runs get by coming later: otherwise the first scenario pays for all of it.
    if (warmup > 0) {
      for (const paths of [pageSearch.pages, reads, includeSearch.pages])
        await cannon(url, paths, l.headers, l.tls, warmup, l.connections, l.inProcess);
    }
    const days30 = await measure('days30');
    const rss30 = process.memoryUsage().rss;
    const fixed = JSON.stringify(pageSearch.firstBody);
    const ceiling = await measureCeiling(l, certs, fixed);

    // Two years: the same searches (same 30-day window) against a store holding 24 times the history.
    // No `PRAGMA optimize` after the growth: the gateway never runs ANALYZE (docs/conventions.md), so neither
    // does its bench.
    const grown = grow(store, 30, years * 365);
    const longHistory = await measure('long');
    const rssLong = process.memoryUsage().rss;
    await app.close();
    store.close();
    const { ratioPageSearchToCeiling, latencyGrowth, targets: met } = targets(days30, longHistory, ceiling);
    return {
      setup: {
        days: 30,
        patients: 2,
        ingestMs,
        observationsPerPatient: pageSearch.ids.length,
        pages: pageSearch.pages.length,
        bundleBytes: fixed.length,
        duration: l.duration,
        warmup,
        connections: l.connections,
        loadGenerator: l.inProcess ? 'in the server process' : 'autocannon worker thread',
        cpus: os.cpus().length,
      },
      days30: { ...days30, rssMb: Math.round(rss30 / 1e6) },
      ceiling,
      ratioPageSearchToCeiling,
      years: { years, observationsAdded: grown, ...longHistory, rssMb: Math.round(rssLong / 1e6) },
      latencyGrowth,
      targets: met,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
