// Recorder-side idempotence: applied ranges merge to exactly the union of what was applied, and resource
// versions applied in any order (with repeats) end at the newest, older Device versions kept for vread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fc from 'fast-check';
import { getResource, getResourceVersion, type ResourceRow } from '../../../gateway/store/resources.ts';
import { openStore, type Store } from '../../../gateway/store/store.ts';
import {
  addAppliedRange,
  appliedRanges,
  applyAssignment,
  applyResourceVersion,
  noteStream,
  rangeApplied,
  streamProgress,
} from '../../../gateway/store/sync-inbox.ts';
import { tempDir } from '../../helpers/tmp.ts';

function recorder(t: { after: (fn: () => void) => void }): Store {
  const { dir, cleanup } = tempDir('hddt-inbox-');
  const store = openStore({ path: path.join(dir, 'rec.sqlite') });
  t.after(() => {
    store.close();
    cleanup();
  });
  return store;
}

test('applied ranges: merged, disjoint, equal to the union; progress stops at the first gap', (t) => {
  const store = recorder(t);
  let n = 0;
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 6 })), { maxLength: 25 }),
      fc.integer({ min: 1, max: 40 }),
      (spans, floor) => {
        const stream = `s${n++}`;
        const seen = new Set<number>();
        for (const [from, len] of spans) {
          addAppliedRange(store, 'gw', stream, from, from + len);
          for (let k = from; k <= from + len; k++) seen.add(k);
          assert.ok(rangeApplied(store, 'gw', stream, from, from + len));
        }
        const ranges = appliedRanges(store, 'gw', stream);
        const covered = new Set<number>();
        ranges.forEach(([a, b], i) => {
          if (i > 0) assert.ok(a > ranges[i - 1][1] + 1, 'disjoint and not touching');
          for (let k = a; k <= b; k++) covered.add(k);
        });
        assert.deepEqual(
          [...covered].sort((x, y) => x - y),
          [...seen].sort((x, y) => x - y),
        );
        noteStream(store, 'gw', stream, floor, 0);
        let through = floor - 1;
        while (seen.has(through + 1)) through++;
        assert.equal(streamProgress(store, 'gw', stream).through, through);
      },
    ),
    { numRuns: 200 },
  );
});

const row = (type: string, id: string, version: number, gw = 'gw'): ResourceRow => ({
  type,
  id,
  version,
  last_updated_ms: 1000 + version,
  device_key: `${gw}/ble:1`,
  code: null,
  effective_start_ms: null,
  effective_end_ms: null,
  value: null,
  unit: null,
  ref: null,
  status: null,
  json: JSON.stringify({ resourceType: type, id, meta: { versionId: String(version) } }),
});

test('versions in any order, repeated: the newest wins, a newer one is never overwritten', (t) => {
  const store = recorder(t);
  let n = 0;
  fc.assert(
    fc.property(
      fc.constantFrom('Observation', 'Device'),
      fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 30 }),
      (type, versions) => {
        const id = `r${n++}`;
        for (const v of versions)
          store.transaction(() => applyResourceVersion(store, row(type, id, v), 'gw/'));
        const max = Math.max(...versions);
        assert.equal(getResource(store, type, id)!.version, max);
        assert.equal(getResource(store, type, id)!.json, row(type, id, max).json);
        if (type === 'Device') {
          for (const v of new Set(versions))
            assert.ok(getResourceVersion(store, type, id, v), `v${v} readable`);
        }
      },
    ),
    { numRuns: 200 },
  );
});

test('a resource id owned by another gateway is never overwritten', (t) => {
  const store = recorder(t);
  assert.equal(applyResourceVersion(store, row('Device', 'd', 1, 'hub-a'), 'hub-a/'), 'written');
  assert.equal(applyResourceVersion(store, row('Device', 'd', 9, 'hub-b'), 'hub-b/'), 'conflict');
  assert.equal(getResource(store, 'Device', 'd')!.device_key, 'hub-a/ble:1');
});

test('assignments: a later sequence wins, an older one arriving late is ignored', (t) => {
  const store = recorder(t);
  const key = () =>
    store.prepare('SELECT patient_id FROM device_assignments WHERE device_key = ?').pluck().get('gw/ble:1');
  assert.equal(applyAssignment(store, 'gw/ble:1', 'gw/p2', 's', 7, 2000), true);
  assert.equal(applyAssignment(store, 'gw/ble:1', 'gw/p1', 's', 3, 1000), false);
  assert.equal(key(), 'gw/p2');
  assert.equal(applyAssignment(store, 'gw/ble:1', null, 's', 8, 3000), true);
  assert.equal(key(), undefined);
});
