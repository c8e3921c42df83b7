// The FHIR API's state belongs to its server: each FhirService (one per FHIR plugin, so per buildServer) has
// its own Bundle entry renderings and rate limit windows; nothing is kept at module level.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { loadConfig } from '../../../config/load.ts';
import type { ResourceRow } from '../../../gateway/store/resources.ts';
import { ManualClock } from '../../../server/clock.ts';
import { EntryCache } from '../../../server/fhir/search.ts';
import { FhirService } from '../../../server/fhir/service.ts';
import type { ServerServices } from '../../../server/services.ts';
import { buildDataset } from './fixture.ts';

const ds = buildDataset({ days: 1 });
after(() => ds.cleanup());

function services(): ServerServices {
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir: ds.dir,
      server: { issuer: 'https://hub.example', fhir: { rateLimit: { perClient: { max: 1 } } } },
    },
  });
  const logger = pino({ level: 'silent' });
  // FhirService reads the configuration, the store and the clock only
  return { config, store: ds.store, clock: new ManualClock(ds.end), logger } as unknown as ServerServices;
}

const row = {
  type: 'Observation',
  id: 'o1',
  version: 1,
  json: '{"resourceType":"Observation","id":"o1"}',
} as unknown as ResourceRow;

test('an entry cache keeps its own renderings: another cache renders the same row anew', () => {
  const a = new EntryCache();
  const b = new EntryCache();
  const first = a.entry('https://hub.example/fhir', row, 'match');
  assert.equal(a.entry('https://hub.example/fhir', row, 'match'), first, 'kept for the same base and mode');
  const other = b.entry('https://hub.example/fhir', row, 'match');
  assert.notEqual(other, first, 'not handed out by another cache');
  assert.deepEqual(other, first);
  assert.match(
    first.toString('utf8'),
    /^\{"fullUrl":"https:\/\/hub\.example\/fhir\/Observation\/o1","resource":\{"resourceType":"Observation","id":"o1"\},"search":\{"mode":"match"\}\}$/,
  );
  assert.notEqual(
    a.entry('https://other.example/fhir', row, 'match'),
    first,
    'a new base is a new rendering',
  );
});

test('two FHIR services in one process share no renderings and no rate limit windows', () => {
  const one = new FhirService(services());
  const two = new FhirService(services());
  assert.notEqual(one.entries, two.entries);
  const now = ds.end.getTime();
  assert.equal(one.perClient.hit('c:10001', now).allowed, true);
  assert.equal(one.perClient.hit('c:10001', now).allowed, false, 'max 1 per window');
  assert.equal(two.perClient.hit('c:10001', now).allowed, true, 'the other server counts on its own');
  assert.equal(one.baseUrl(), 'https://hub.example/fhir');
});
