// Capped exponential backoff with full jitter (BLE reconnects and the MQTT connection share it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Backoff } from '../../lib/backoff.ts';

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
