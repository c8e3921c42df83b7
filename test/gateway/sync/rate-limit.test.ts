// The drain rate limit, with time mocked (the only mocks allowed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RateLimit } from '../../../gateway/sync/rate-limit.ts';

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
