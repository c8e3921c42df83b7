import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  FaultPlan,
  noiseSource,
  parseScenario,
  ScenarioError,
  syntheticRecords,
  validateScenario,
} from '../../../firmware-bridge/meters/scenario.ts';

const base = {
  protocol: 'onetouch-ultra2',
  serial: '12345678Y',
  unit: 'mg/dL',
  clock: '2024-01-01T00:00:00',
  records: [],
};

test('valid scenarios load; the demo files in the repository are valid', () => {
  assert.equal(validateScenario(base).protocol, 'onetouch-ultra2');
  const dir = path.resolve(
    path.dirname(fileURLToPath(import.meta.url)),
    '../../../firmware-bridge/meters/scenarios',
  );
  for (const f of fs.readdirSync(dir)) {
    const raw = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { synthetic?: unknown };
    assert.doesNotThrow(() => validateScenario({ ...raw, synthetic: undefined }), f);
  }
});

test('invalid scenarios are refused with a reason', () => {
  const bad: [unknown, RegExp][] = [
    ['x', /must be an object/],
    [{ ...base, protocol: 'dexcom' }, /protocol/],
    [{ ...base, serial: '12345678O' }, /Ultra 2 serial/],
    [{ ...base, unit: 'mg' }, /unit/],
    [{ ...base, clock: '2024-01-01 00:00' }, /clock/],
    [{ ...base, records: [{ time: '2024-02-30T00:00:00', value: 1 }] }, /records\[0\]\.time/],
    [{ ...base, records: [{ time: '2024-02-01T00:00:00', value: 1.5 }] }, /integer mg\/dL/],
    [
      {
        ...base,
        protocol: 'onetouch-ultraeasy',
        serial: 'X',
        records: [{ time: '2024-02-01T00:00:00', value: 1, control: true }],
      },
      /Ultra Easy/,
    ],
    [{ ...base, faults: [{ kind: 'lightning', at: 1 }] }, /faults\[0\]\.kind/],
    [{ ...base, faults: [{ kind: 'nak', at: -1 }] }, /faults\[0\]\.at/],
  ];
  for (const [input, why] of bad)
    assert.throws(
      () => validateScenario(input),
      (e) => e instanceof ScenarioError && why.test(e.message),
    );
  assert.throws(() => parseScenario('{'), /not JSON/);
});

test('synthetic records are reproducible; noise has no C0 control bytes; faults fire `times` times', () => {
  const a = syntheticRecords(50, { newest: '2024-06-01T12:00:00', controlEvery: 10, flagEvery: 7 });
  assert.deepEqual(
    a,
    syntheticRecords(50, { newest: '2024-06-01T12:00:00', controlEvery: 10, flagEvery: 7 }),
  );
  assert.equal(a[0].time, '2024-06-01T12:00:00');
  assert.equal(a.filter((r) => r.control).length, 5);
  assert.ok(a.filter((r) => r.flag).every((r) => r.value === (r.flag === 'high' ? 600 : 20)));
  const noise = noiseSource(3)(4000);
  assert.ok(noise.every((b) => b >= 0x20 && b !== 0x7f));
  const plan = new FaultPlan([
    { kind: 'cut', at: 2, times: 2 },
    { kind: 'nak', at: 0 },
  ]);
  assert.equal(plan.take(1), undefined);
  assert.equal(plan.take(2)?.kind, 'cut');
  assert.equal(plan.take(2, ['noise']), undefined);
  assert.equal(plan.take(2)?.kind, 'cut');
  assert.equal(plan.take(2), undefined);
  assert.equal(plan.takeKind('nak')?.kind, 'nak');
  assert.equal(plan.takeKind('nak'), undefined);
});
