import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Backoff } from '../../../drivers/ble/backoff.ts';

test('backoff doubles its ceiling up to the cap; jitter stays within [min, ceiling]; reset starts over', () => {
  const top = new Backoff({ minMs: 100, maxMs: 1000, random: () => 0.999999 });
  assert.deepEqual(
    Array.from({ length: 6 }, () => top.next()),
    [100, 200, 400, 800, 1000, 1000],
  );
  top.reset();
  assert.equal(top.next(), 100);
  const bottom = new Backoff({ minMs: 100, maxMs: 1000, random: () => 0 });
  assert.deepEqual(
    Array.from({ length: 4 }, () => bottom.next()),
    [100, 100, 100, 100],
  );
  fc.assert(
    fc.property(
      fc.integer({ min: 10, max: 5000 }),
      fc.integer({ min: 10, max: 100_000 }),
      fc.double({ min: 0, max: 0.9999, noNaN: true }),
      fc.integer({ min: 0, max: 60 }),
      (min, max, r, n) => {
        const b = new Backoff({ minMs: min, maxMs: max, random: () => r });
        let d = 0;
        for (let i = 0; i <= n; i++) d = b.next();
        assert.ok(d >= min && d <= Math.max(min, max));
      },
    ),
  );
});
