// The layering holds (design.md): drivers know the core only by its Reading type and port, hddt/ renders
// without I/O, product code never reaches into test/, and no two folders import each other in a cycle. Each
// rule is also shown to catch a violation, so a rule that matches nothing cannot pass for the wrong reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { folderCycles, importGraph, importsOf, type ImportEdge } from './import-graph.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const graph = importGraph(ROOT);

/** What a driver may import of the core: the Reading and its validation types, the port, the log type. */
const DRIVER_MAY_USE = /^(gateway\/readings\/|gateway\/ingest\/port\.ts$|gateway\/log\.ts$)/;
const IO_MODULES =
  /^(node:(fs|fs\/promises|net|http|https|tls|child_process|dgram)|better-sqlite3|mqtt|fastify|serialport|@stoprocent\/noble|pg)$/;

const rules: Array<{ name: string; broken: (e: ImportEdge) => boolean; example: ImportEdge }> = [
  {
    name: 'a driver imports the store, the ingest pipeline, the HDDT mapping, the server or the wiring',
    broken: (e) =>
      e.from.startsWith('drivers/') &&
      (/^(server|wiring)\//.test(e.to) ||
        e.to === 'better-sqlite3' ||
        (e.to.startsWith('gateway/') && !DRIVER_MAY_USE.test(e.to))),
    example: { from: 'drivers/ble/cgm-driver.ts', to: 'gateway/store/readings.ts' },
  },
  {
    name: 'hddt/ does I/O or reaches into the store, ingest, sync, server or drivers',
    broken: (e) =>
      e.from.startsWith('gateway/hddt/') &&
      (IO_MODULES.test(e.to) || /^(gateway\/(store|ingest|sync|jobs)|server|wiring|drivers)\//.test(e.to)),
    example: { from: 'gateway/hddt/drafts.ts', to: 'gateway/store/resources.ts' },
  },
  {
    name: 'product code imports test code',
    broken: (e) => !e.from.startsWith('test/') && e.to.startsWith('test/'),
    example: { from: 'bench/mqtt.ts', to: 'test/gateway/sync/fixtures/broker.ts' },
  },
];

for (const rule of rules) {
  test(`no ${rule.name}`, () => {
    assert.ok(rule.broken(rule.example), 'the rule catches its example');
    const broken = graph.filter(rule.broken).map((e) => `${e.from} -> ${e.to}`);
    assert.deepEqual(broken, []);
  });
}

test('the graph is read from the sources (a sanity bound, not a number to keep)', () => {
  assert.ok(graph.length > 500, `${graph.length} imports`);
  assert.ok(
    graph.some((e) => e.from === 'gateway/ingest/pipeline.ts' && e.to === 'gateway/readings/validate.ts'),
  );
  assert.ok(
    graph.some((e) => e.from === 'wiring/components.ts' && e.to === 'wiring/ble.ts'),
    'dynamic imports count',
  );
});

test('no two folders import each other in a cycle', () => {
  assert.deepEqual(folderCycles(graph), []);
});

test('the cycle check finds a cycle between folders, through imports that run only', () => {
  const cycles = folderCycles([
    { from: 'a/x.ts', to: 'b/y.ts' },
    { from: 'b/y.ts', to: 'c/z.ts' },
    { from: 'c/z.ts', to: 'a/w.ts' },
    { from: 'a/w.ts', to: 'a/x.ts' },
  ]);
  assert.deepEqual(cycles, [['a', 'b', 'c', 'a']]);
  const typeOnly = importsOf(ROOT, 'server/services.ts').filter((e) => e.to === 'server/oauth/keys.ts');
  assert.deepEqual(typeOnly, [{ from: 'server/services.ts', to: 'server/oauth/keys.ts', typeOnly: true }]);
  assert.deepEqual(
    folderCycles([
      { from: 'a/x.ts', to: 'b/y.ts' },
      { ...typeOnly[0], from: 'b/y.ts', to: 'a/x.ts' },
    ]),
    [],
  );
});
