// Hostile requests against the real HTTPS server over mutual TLS: oversized headers, bodies and query strings,
// deeply nested and invalid JSON, invalid UTF-8 in the query, the form body and the path, slow clients
// (headers and bodies trickled byte by byte, idle connections). Each gets a clean 4xx — an OperationOutcome
// on FHIR routes, an RFC 6749 JSON error on the OAuth endpoints — and a good request succeeds afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SERVER_TIMEOUTS } from '../../server/app.ts';
import { validateR4 } from '../helpers/fhir-validate.ts';
import { startHardeningServer, TEST_TIMEOUTS, type HardeningServer } from './harness.ts';

let h: HardeningServer;
let auth: Record<string, string>;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

before(async () => {
  h = await startHardeningServer();
  auth = { authorization: `Bearer ${h.token}` };
  await h.assertServing();
});
after(async () => {
  await h?.close();
});

/** A 4xx OperationOutcome (valid R4) whose text matches `re`. */
function assertOutcome(
  r: { status: number; body: string; headers?: Record<string, unknown> },
  status: number,
  re?: RegExp,
) {
  assert.equal(r.status, status, r.body.slice(0, 300));
  const oo = JSON.parse(r.body) as { resourceType: string };
  assert.equal(oo.resourceType, 'OperationOutcome', r.body.slice(0, 300));
  validateR4(oo);
  if (re) assert.match(r.body, re);
}

/** An RFC 6749 error: JSON with a known `error` code, never cached. */
function assertOAuthError(
  r: { status: number; body: string; headers: Record<string, unknown> },
  re = /^invalid_/,
) {
  assert.ok(r.status >= 400 && r.status < 500, `${r.status}: ${r.body.slice(0, 200)}`);
  const e = JSON.parse(r.body) as { error: string; error_description?: string };
  assert.match(e.error, re, r.body);
  assert.equal(r.headers['cache-control'], 'no-store');
}

/** Splits a raw HTTP/1.1 answer into status, headers (lower-case) and body. */
function parseRaw(text: string): { status: number; headers: Record<string, string>; body: string } {
  const [head, ...rest] = text.split('\r\n\r\n');
  const lines = head!.split('\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(lines[0]!)?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status, headers, body: rest.join('\r\n\r\n') };
}

test('the server runs with bounded header, request, keep-alive and idle timeouts and a 64 KiB body limit', () => {
  const server = h.app.server;
  assert.equal(server.headersTimeout, TEST_TIMEOUTS.headersMs);
  assert.equal(server.requestTimeout, TEST_TIMEOUTS.requestMs);
  assert.equal(server.keepAliveTimeout, TEST_TIMEOUTS.keepAliveMs);
  assert.equal(server.timeout, TEST_TIMEOUTS.idleMs);
  assert.equal(h.app.initialConfig.bodyLimit, 64 * 1024);
  // The production defaults are bounded too (a requestTimeout of 0 would let a slow body hold a socket forever).
  for (const [k, v] of Object.entries(SERVER_TIMEOUTS)) assert.ok(v > 0 && v <= 120_000, `${k} = ${v}`);
  assert.ok(SERVER_TIMEOUTS.headersMs <= SERVER_TIMEOUTS.requestMs);
});

test('oversized headers: 431 and the connection closed; the OAuth error on /token', async () => {
  // Node's parser refuses more than 16 KiB of request line + headers. The request line is gone by the time
  // it overflows, so the answer cannot depend on the route: a small JSON error.
  const big = 'a'.repeat(20_000);
  const checks = [
    `GET /fhir/Observation HTTP/1.1\r\nHost: localhost\r\nX-Big: ${big}\r\n\r\n`,
    `GET /fhir/Observation HTTP/1.1\r\nHost: localhost\r\n${Array.from({ length: 1500 }, (_, i) => `X-H${i}: ${'b'.repeat(10)}\r\n`).join('')}\r\n`,
    `POST /token HTTP/1.1\r\nHost: localhost\r\nX-Big: ${big}\r\n\r\n`,
  ];
  for (const req of checks) {
    const r = await h.raw([req]);
    assert.ok(r.closed);
    const p = parseRaw(r.text);
    assert.equal(p.status, 431, r.text.slice(0, 200));
    assert.match(p.headers['content-type'] ?? '', /json/);
    assert.match(p.body, /too large/);
  }
  // Below the limit, a header an endpoint does not expect changes nothing.
  const ok = await h.request('/fhir/Observation?_count=1', {
    headers: { ...auth, 'x-pad': 'c'.repeat(12_000) },
  });
  assert.equal(ok.status, 200);
  assertOAuthError(
    await h.request('/token', {
      method: 'POST',
      headers: { ...FORM, 'x-pad': 'c'.repeat(12_000) },
      body: 'a=b',
    }),
  );
  await h.assertServing();
});

test('oversized query strings: a clean answer below the header limit, 431 above it', async () => {
  const long = await h.request(`/fhir/Observation?code=${'9'.repeat(12_000)}`, { headers: auth });
  assert.equal(long.status, 200, long.body.slice(0, 200));
  const bundle = JSON.parse(long.body) as { entry?: Array<{ resource: { resourceType: string } }> };
  // no Observation has that code; at most an OperationOutcome entry says so
  assert.deepEqual(
    (bundle.entry ?? []).filter((e) => e.resource.resourceType !== 'OperationOutcome'),
    [],
  );
  const many = await h.request(
    `/fhir/Observation?${Array.from({ length: 1500 }, (_, i) => `x${i}=1`).join('&')}`,
    {
      headers: auth,
    },
  );
  assertOutcome(many, 400);
  const huge = await h.raw([
    `GET /fhir/Observation?code=${'9'.repeat(20_000)} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${h.token}\r\n\r\n`,
  ]);
  assert.equal(parseRaw(huge.text).status, 431);
  assert.ok(huge.closed);
  const token = await h.request(`/token?x=${'a'.repeat(12_000)}`, {
    method: 'POST',
    headers: FORM,
    body: 'grant_type=refresh_token',
  });
  assertOAuthError(token);
  await h.assertServing();
});

test('oversized bodies: 413 OperationOutcome on FHIR, invalid_request on /token and /par', async () => {
  const body = `code=${'a'.repeat(100_000)}`;
  assertOutcome(
    await h.request('/fhir/Observation/_search', { method: 'POST', headers: { ...auth, ...FORM }, body }),
    413,
    /too large/,
  );
  assertOutcome(
    await h.request('/fhir/Observation/$hddt-cgm-summary', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Parameters', pad: 'x'.repeat(100_000) }),
    }),
    413,
  );
  for (const p of ['/token', '/par', '/revoke']) {
    assertOAuthError(await h.request(p, { method: 'POST', headers: FORM, body }), /^invalid_request$/);
  }
  await h.assertServing();
});

test('deeply nested and invalid JSON: 400 OperationOutcome, no stack overflow; OAuth endpoints refuse JSON', async () => {
  const summary = (body: string) =>
    h.request('/fhir/Observation/$hddt-cgm-summary', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/fhir+json' },
      body,
    });
  assertOutcome(await summary('['.repeat(30_000) + ']'.repeat(30_000)), 400);
  assertOutcome(await summary('{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000)), 400);
  assertOutcome(await summary('{"resourceType": "Parameters", '), 400);
  assertOutcome(
    await summary('{"resourceType":"Parameters","parameter":[{"name":"effectivePeriodStart","valueDate":'),
    400,
  );
  assertOutcome(await summary('\u0000\u0001'), 400);
  for (const p of ['/token', '/par', '/revoke']) {
    assertOAuthError(
      await h.request(p, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '['.repeat(30_000),
      }),
      /^invalid_request$/,
    );
  }
  await h.assertServing();
});

test('invalid UTF-8 in the query: 400 OperationOutcome (percent-escaped and raw bytes)', async () => {
  for (const q of ['code=%C3%28', '%FF=1', 'date=%FF%FE', '_count=%E2%82']) {
    assertOutcome(await h.request(`/fhir/Observation?${q}`, { headers: auth }), 400, /Malformed query/);
  }
  const raw = await h.raw([
    Buffer.concat([
      Buffer.from('GET /fhir/Observation?code='),
      Buffer.from([0xff, 0xc3, 0x28]),
      Buffer.from(` HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${h.token}\r\n\r\n`),
    ]),
  ]);
  assertOutcome(parseRaw(raw.text), 400);
  assertOAuthError(await h.request('/token?client_id=%FF', { method: 'POST', headers: FORM, body: 'a=b' }));
  await h.assertServing();
});

test('invalid UTF-8 in the form body: 400 OperationOutcome on FHIR, OAuth errors on /token, /par, /revoke', async () => {
  assertOutcome(
    await h.request('/fhir/Observation/_search', {
      method: 'POST',
      headers: { ...auth, ...FORM },
      body: 'code=%C3%28&date=%FF',
    }),
    400,
  );
  assertOutcome(
    await h.request('/fhir/Observation/_search', {
      method: 'POST',
      headers: { ...auth, ...FORM },
      body: Buffer.from([0x64, 0x61, 0x74, 0x65, 0x3d, 0xff, 0xfe, 0xc3, 0x28]),
    }),
    400,
  );
  for (const p of ['/token', '/par', '/revoke']) {
    for (const body of [
      'grant_type=%C3%28&client_id=%FF',
      Buffer.from([0x67, 0x3d, 0xff, 0xfe, 0xc3, 0x28]),
    ]) {
      assertOAuthError(await h.request(p, { method: 'POST', headers: FORM, body }));
    }
  }
  await h.assertServing();
});

test('invalid UTF-8 and over-long segments in the path: OperationOutcome on FHIR, OAuth error on OAuth paths', async () => {
  assertOutcome(await h.request('/fhir/Observation/%C3%28', { headers: auth }), 400, /not validly encoded/);
  assertOutcome(await h.request('/fhir/%FF', { headers: auth }), 400);
  assertOutcome(await h.request(`/fhir/Observation/${'a'.repeat(300)}`, { headers: auth }), 414);
  const token = await h.request('/token%FF', { method: 'POST', headers: FORM, body: 'a=b' });
  assert.equal(token.status, 400);
  assert.match(token.body, /not validly encoded/);
  const raw = await h.raw([
    Buffer.concat([
      Buffer.from('GET /fhir/Observation/'),
      Buffer.from([0xff, 0xc3, 0x28]),
      Buffer.from(` HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${h.token}\r\n\r\n`),
    ]),
  ]);
  assertOutcome(parseRaw(raw.text), 400);
  const rawOAuth = parseRaw(
    (
      await h.raw([
        Buffer.concat([
          Buffer.from('POST /par'),
          Buffer.from([0xc0, 0x80]),
          Buffer.from(' HTTP/1.1\r\n\r\n'),
        ]),
      ])
    ).text,
  );
  assert.equal(rawOAuth.status, 400);
  await h.assertServing();
});

test('slowloris: headers trickled line by line are cut off at the header timeout while others are served', async () => {
  const trickle = (n: number) =>
    Array.from({ length: n }, (_, i) => [{ pauseMs: 150 }, `X-Slow-${i}: y\r\n`]).flat();
  const attacks = Array.from({ length: 8 }, () =>
    h.raw([`GET /fhir/Observation HTTP/1.1\r\nHost: localhost\r\n`, ...trickle(60)], 8_000),
  );
  // good requests keep working during the attack
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 200));
    await h.assertServing();
  }
  for (const a of await Promise.all(attacks)) {
    assert.ok(a.closed, 'the server closed the trickling connection');
    assert.ok(a.ms < TEST_TIMEOUTS.headersMs + 1_500, `closed after ${a.ms} ms`);
    assert.equal(a.status, 408);
  }
  await h.assertServing();
});

test('slow bodies are cut off at the request timeout; idle and kept-alive connections are closed', async () => {
  const slowBody = await h.raw(
    [
      `POST /fhir/Observation/_search HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${h.token}\r\n` +
        'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n',
      ...Array.from({ length: 60 }, () => [{ pauseMs: 100 }, 'a']).flat(),
    ],
    8_000,
  );
  assert.ok(slowBody.closed);
  assert.equal(slowBody.status, 408);
  assert.ok(slowBody.ms < TEST_TIMEOUTS.requestMs + 1_500, `closed after ${slowBody.ms} ms`);

  const idle = await h.raw([], 8_000);
  assert.ok(idle.closed, 'a connection that never sends a request is closed');
  assert.ok(idle.ms < TEST_TIMEOUTS.headersMs + 1_500, `closed after ${idle.ms} ms`);

  const keptAlive = await h.raw(['GET /fhir/metadata HTTP/1.1\r\nHost: localhost\r\n\r\n'], 8_000);
  assert.equal(keptAlive.status, 200);
  assert.ok(keptAlive.closed, 'an idle keep-alive connection is closed');
  assert.ok(keptAlive.ms < TEST_TIMEOUTS.keepAliveMs + TEST_TIMEOUTS.headersMs + 1_500, `${keptAlive.ms} ms`);
  await h.assertServing();
});
