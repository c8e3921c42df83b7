// Token endpoint throughput: refresh-token grants per second over mTLS with keep-alive connections
// (each worker rotates its own grant's refresh token, as a DiGA backend would), against the ceiling of a
// plain fastify mTLS endpoint with the same TLS profile that returns a fixed JSON body.
// `npm run bench -- token [--seconds 5] [--workers 8]`
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import fastifyFormbody from '@fastify/formbody';
import { openStore } from '../gateway/store/store.ts';
import { tlsServerOptions } from '../server/shared/tls.ts';
import { issueTestTokens } from './rigs/tokens.ts';
import { startBenchServer } from './rigs/server.ts';

function arg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

function post(agent: https.Agent, url: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs `workers` loops for `seconds`; each loop calls step() back to back. */
async function load(
  seconds: number,
  workers: number,
  makeStep: (w: number) => () => Promise<void>,
): Promise<{ perSec: number; latencies: number[] }> {
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_v, w) => {
      const step = makeStep(w);
      while (performance.now() < end) {
        const s = performance.now();
        await step();
        latencies.push(performance.now() - s);
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  return { perSec: latencies.length / elapsed, latencies: latencies.sort((a, b) => a - b) };
}

/** The ceiling: the same TLS stack answering a fixed token response, no grant work. */
async function startCeiling(certs: {
  serverCertPem: string;
  serverKeyPem: string;
}): Promise<{ url: string; close: () => Promise<void> }> {
  const ceilingApp = Fastify({
    https: tlsServerOptions({ cert: certs.serverCertPem, key: certs.serverKeyPem }),
  });
  await ceilingApp.register(fastifyFormbody);
  const fixed = {
    access_token: 'x'.repeat(400),
    token_type: 'Bearer',
    expires_in: 300,
    refresh_token: 'y'.repeat(43),
  };
  ceilingApp.post('/fixed', async (_req, reply) => reply.header('cache-control', 'no-store').send(fixed));
  await ceilingApp.listen({ host: '127.0.0.1', port: 0 });
  const url = `https://localhost:${(ceilingApp.server.address() as AddressInfo).port}/fixed`;

  return { url, close: () => ceilingApp.close() };
}

export async function run(args: string[] = []): Promise<object> {
  const seconds = arg(args, 'seconds', 5);
  const workers = arg(args, 'workers', 8);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-bench-token-'));
  try {
    const { certs, services, app, url } = await startBenchServer({
      dir,
      store: openStore({ path: path.join(dir, 'hddt.sqlite') }),
      server: { rateLimit: { max: 1_000_000, windowMs: 1000 } },
    });
    const client = certs.clients[0]!;

    const ceiling = await startCeiling(certs);

    const agent = new https.Agent({
      keepAlive: true,
      maxSockets: workers,
      ca: certs.caCertPem,
      cert: client.certPem,
      key: client.keyPem,
    });
    // One grant per worker: a rotating refresh token is a strictly sequential chain.
    const chains: string[] = [];
    for (let w = 0; w < workers; w++) {
      chains.push(
        (await issueTestTokens(services, { clientId: client.clientId, mivs: ['cgm'] })).refreshToken,
      );
    }
    let failures = 0;
    const refreshStep = (w: number) => async () => {
      const body = new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: client.clientId,
        refresh_token: chains[w]!,
      }).toString();
      const r = await post(agent, `${url}/token`, body);
      if (r.status !== 200) {
        failures++;
        throw new Error(`refresh failed: ${r.status} ${r.text}`);
      }
      chains[w] = (JSON.parse(r.text) as { refresh_token: string }).refresh_token;
    };
    const ceilingBody = 'grant_type=refresh_token&client_id=x&refresh_token=y';
    const ceilingStep = () => async () => {
      const r = await post(agent, ceiling.url, ceilingBody);
      if (r.status !== 200) throw new Error(`ceiling failed: ${r.status}`);
    };

    await load(Math.min(1, seconds), workers, refreshStep); // warm-up (JIT, TLS sessions)
    await load(Math.min(1, seconds), workers, ceilingStep);
    const grants = await load(seconds, workers, refreshStep);
    const ceilingLoad = await load(seconds, workers, ceilingStep);

    agent.destroy();
    await app.close();
    await ceiling.close();
    services.store.close();
    const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
    return {
      workers,
      seconds,
      grants: grants.latencies.length,
      failures,
      grantsPerSec: round(grants.perSec, 1),
      p50Ms: round(percentile(grants.latencies, 50)),
      p99Ms: round(percentile(grants.latencies, 99)),
      ceilingPerSec: round(ceilingLoad.perSec, 1),
      ceilingP50Ms: round(percentile(ceilingLoad.latencies, 50)),
      ratio: round(grants.perSec / ceilingLoad.perSec, 3),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
