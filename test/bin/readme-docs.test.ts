// The README documents what a newcomer trips over, in the words the code uses: the scope rule of /par
// (quoted from its error), the path rule (every path key of the schema named) and the issuer default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { configSchema } from '../../config/load.ts';
import { checkScope } from '../../server/oauth/par.ts';
import { DEVICE_METRIC_SCOPE, DEVICE_SCOPE, supportedScopes } from '../../server/oauth/scopes.ts';
import type { DirectoryEntry } from '../../server/oauth/directory.ts';
import type { ServerServices } from '../../server/services.ts';
import { ROOT } from '../helpers/cli.ts';

const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

test('README documents that /par refuses a scope without an MIV, with the error /par gives', () => {
  const services = { config: { server: { mivs: ['bloodGlucose', 'cgm'] } } } as unknown as ServerServices;
  const entry = { scopes: supportedScopes(['bloodGlucose', 'cgm']) } as unknown as DirectoryEntry;
  let description = '';
  assert.throws(
    () => checkScope(services, entry, `${DEVICE_SCOPE} ${DEVICE_METRIC_SCOPE}`),
    (err: unknown) => {
      const e = err as { error: string; message: string };
      assert.equal(e.error, 'invalid_scope');
      description = e.message;
      return true;
    },
  );
  assert.ok(description.length > 0);
  const section = readme.slice(readme.indexOf('## The HDDT server'));
  assert.ok(section.includes(description), `the HDDT server section quotes "${description}"`);
  assert.ok(section.includes(`${DEVICE_SCOPE} ${DEVICE_METRIC_SCOPE}`), 'and names the refused scope');
  assert.match(section, /400 invalid_scope/);
});

test("README's configuration section names every path key that is resolved against dataDir", () => {
  const keys: string[] = [];
  const walk = (node: unknown, at: string) => {
    if (typeof node !== 'object' || node === null) return;
    const n = node as Record<string, unknown>;
    if (n.relativeTo === 'dataDir') keys.push(at);
    for (const k of ['oneOf', 'anyOf', 'allOf']) if (Array.isArray(n[k])) for (const b of n[k]) walk(b, at);
    if (n.items) walk(n.items, `${at}[]`);
    if (typeof n.properties === 'object' && n.properties !== null)
      for (const [k, v] of Object.entries(n.properties)) walk(v, at ? `${at}.${k}` : k);
  };
  walk(configSchema(), '');
  assert.ok(keys.length >= 10, keys.join(' '));
  const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## The data'));
  for (const key of keys) {
    const parent = key.slice(0, key.lastIndexOf('.'));
    const leaf = key.slice(key.lastIndexOf('.') + 1);
    const named =
      section.includes(`\`${key}\``) ||
      section.includes(`\`${parent}.*\``) ||
      (section.includes(`\`${parent}.`) && section.includes(`\`.${leaf}\``));
    assert.ok(named, `README names ${key} among the paths relative to dataDir`);
  }
  assert.match(section, /relative to the folder of the configuration file/);
  assert.match(section, /`server\.issuer`[^\n]*defaults to `https:\/\/localhost:<server\.port>`/);
});
