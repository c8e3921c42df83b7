import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter } from '../../../server/policy/rate-limit.ts';

test('a fixed window allows max requests per key, then tells when to retry', () => {
  const rl = new RateLimiter({ max: 3, windowSeconds: 60 });
  const t0 = 1_800_000_000_000; // on a window boundary
  for (let i = 0; i < 3; i++) assert.deepEqual(rl.hit('a', t0 + i), { allowed: true });
  assert.deepEqual(rl.hit('a', t0 + 10_000), { allowed: false, retryAfterSeconds: 50 });
  assert.deepEqual(rl.hit('b', t0 + 10_000), { allowed: true }, 'keys are independent');
  assert.deepEqual(rl.hit('a', t0 + 60_000), { allowed: true }, 'a new window');
  assert.deepEqual(
    new RateLimiter({ max: 0, windowSeconds: 1 }).hit('x', t0),
    { allowed: true },
    '0 disables',
  );
});
