// The gateway's parts: which ones the configuration enables, in start order, each named as the component
// its module provides (the name is known before the module loads: logs and the stop order use it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../config/load.ts';
import { components, parts } from '../../wiring/components.ts';

test('each lazily loaded part is the component of that name', async () => {
  for (const [name, part] of Object.entries(parts)) assert.equal((await part.load()).name, name);
});

test('the configuration decides which parts run, the sync part first', () => {
  const defaults = loadConfig({ env: {} });
  assert.deepEqual(
    components(defaults).map((c) => c.name),
    ['time-keeper', 'retention', 'operator'],
  );
  const all = loadConfig({
    env: {},
    overrides: {
      ble: { enabled: true },
      serial: { enabled: true },
      server: { enabled: true },
      mqtt: { enabled: true },
    },
  });
  assert.deepEqual(
    components(all).map((c) => c.name),
    ['mqtt-sync', 'time-keeper', 'retention', 'ble', 'serial', 'server', 'consent-expiry', 'operator'],
  );
});
