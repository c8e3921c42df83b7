// The operator API's own policy, a pure decision over the facts its PEP gathers: one row per rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideSystemAccess, type SystemAccessFacts } from '../../../server/operator-api/policy.ts';

const NOW = 1_760_000_000_000;
const good: SystemAccessFacts = {
  nowMs: NOW,
  token: {
    ok: true,
    clientId: 'backend.example',
    scope: 'operator/devices.read operator/outbox.read',
    jti: 'j1',
    expiresMs: NOW + 60_000,
  },
  revoked: false,
  client: { scopes: ['operator/devices.read', 'operator/outbox.read'] },
  certificate: { notBeforeMs: NOW - 1000, notAfterMs: NOW + 1000, matchesPinned: true },
};

const rows: Array<[string, Partial<SystemAccessFacts>, RegExp | string[]]> = [
  ['all facts good', {}, ['operator/devices.read', 'operator/outbox.read']],
  [
    'scopes withdrawn from the configuration no longer count',
    { client: { scopes: ['operator/outbox.read'] } },
    ['operator/outbox.read'],
  ],
  [
    'a token the verifier refused',
    { token: { ok: false, description: 'The access token expired' } },
    /expired/,
  ],
  ['revoked at /revoke', { revoked: true }, /revoked/],
  ['client no longer configured', { client: null }, /no longer registered/],
  ['no client certificate', { certificate: null }, /No client certificate/],
  [
    'another certificate than the pinned one',
    { certificate: { ...good.certificate!, matchesPinned: false } },
    /not the one registered/,
  ],
  [
    'the pinned certificate, expired',
    { certificate: { notBeforeMs: NOW - 2000, notAfterMs: NOW - 1, matchesPinned: true } },
    /has expired/,
  ],
  [
    'the pinned certificate, not yet valid',
    { certificate: { notBeforeMs: NOW + 1, notAfterMs: NOW + 2000, matchesPinned: true } },
    /not yet valid/,
  ],
];

for (const [name, change, expected] of rows) {
  test(`operator API policy: ${name}`, () => {
    const facts = { ...good, ...change };
    const d = decideSystemAccess(facts);
    if (Array.isArray(expected)) {
      assert.deepEqual(d, { allow: true, access: { clientId: 'backend.example', scopes: expected } });
    } else {
      assert.equal(d.allow, false);
      assert.match((d as { description: string }).description, expected);
    }
    assert.deepEqual(decideSystemAccess(facts), d, 'pure: same facts, same decision');
  });
}
