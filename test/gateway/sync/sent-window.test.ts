// The sent mark moves only over a gap-free run of acknowledged batches, whatever order the PUBACKs come in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SentWindow } from '../../../gateway/sync/sent-window.ts';

test('in-order PUBACKs move the mark batch by batch', () => {
  const w = new SentWindow(10);
  const a = w.push(20);
  const b = w.push(25);
  assert.equal(w.ack(a), true);
  assert.equal(w.through, 20);
  assert.equal(w.ack(b), true);
  assert.equal(w.through, 25);
  assert.equal(w.size, 0);
});

test('a later batch acknowledged first does not move the mark past the one still waiting', () => {
  const w = new SentWindow(0);
  const a = w.push(5);
  const b = w.push(9);
  const c = w.push(12);
  assert.equal(w.ack(c), false);
  assert.equal(w.ack(b), false);
  assert.equal(w.through, 0);
  assert.equal(w.ack(a), true);
  assert.equal(w.through, 12);
});

test('after a restart, acks of earlier batches no longer count', () => {
  const w = new SentWindow(0);
  const old = w.push(50);
  w.restart(30); // entries after 30 queued again
  const fresh = w.push(40);
  assert.equal(w.ack(old), false);
  assert.equal(w.through, 30);
  assert.equal(w.ack(fresh), true);
  assert.equal(w.through, 40);
});

test('any ack order: the mark is always the end of the longest acknowledged prefix', () => {
  fc.assert(
    fc.property(
      fc
        .array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 30 })
        .chain((sizes) =>
          fc.tuple(fc.constant(sizes), fc.shuffledSubarray([...sizes.keys()], { minLength: sizes.length })),
        ),
      ([sizes, order]) => {
        const w = new SentWindow(0);
        let to = 0;
        const batches = sizes.map((n) => w.push((to += n)));
        const acked = new Set<number>();
        for (const i of order) {
          w.ack(batches[i]);
          acked.add(i);
          let prefix = 0;
          while (acked.has(prefix)) prefix++;
          assert.equal(w.through, prefix === 0 ? 0 : batches[prefix - 1].to);
        }
        assert.equal(w.size, 0);
      },
    ),
  );
});
