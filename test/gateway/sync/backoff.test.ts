// Reconnect backoff and drain rate limit, with time mocked (the only mocks allowed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Backoff } from '../../../gateway/sync/backoff.ts';
import { RateLimit } from '../../../gateway/sync/rate-limit.ts';

test('backoff: within [min, min(max, min·2^n)], capped at max, jittered, reset starts over', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 5000 }),
      fc.integer({ min: 0, max: 100_000 }),
      fc.array(fc.double({ min: 0, max: 0.999999, noNaN: true }), { minLength: 1, maxLength: 40 }),
      (min, extra, randoms) => {
        const max = min + extra;
        let i = 0;
        const b = new Backoff({ minMs: min, maxMs: max, random: () => randoms[i++ % randoms.length] });
        randoms.forEach((_, n) => {
          const d = b.next();
          assert.ok(d >= min && d <= Math.min(max, min * 2 ** n), `attempt ${n}: ${d}`);
        });
        b.reset();
        assert.equal(b.attempts, 0);
        assert.ok(b.next() <= min);
      },
    ),
  );
  const spread = new Set(
    Array.from({ length: 50 }, () => new Backoff({ minMs: 10, maxMs: 10_000 })).map((b) => {
      for (let k = 0; k < 8; k++) b.next();
      return b.next();
    }),
  );
  assert.ok(spread.size > 10, 'hubs that lost the broker together do not retry in lockstep');
});

test('rate limit: never more than perSecond messages in any second, 0 = unlimited', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 50 }), (perSecond, stepMs) => {
      let now = 0;
      const r = new RateLimit(perSecond, () => now);
      const sent: number[] = [];
      while (now < 3000) {
        if (r.wait() === 0) {
          r.take();
          sent.push(now);
        } else now += Math.min(stepMs, r.wait());
      }
      for (let k = 0; k < sent.length; k++) {
        const inWindow = sent.filter((t) => t >= sent[k] && t < sent[k] + 1000).length;
        assert.ok(
          inWindow <= perSecond + Math.max(1, perSecond / 10),
          `${inWindow} in a second at ${perSecond}/s`,
        );
      }
      assert.ok(sent.length >= perSecond * 2, 'and it does send at the rate');
    }),
    { numRuns: 50 },
  );
  const unlimited = new RateLimit(0, () => 0);
  for (let i = 0; i < 1000; i++) assert.equal(unlimited.wait(), 0);
});
