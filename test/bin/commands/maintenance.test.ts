// `hddt-gateway maintenance announce|start|end|list` on a real data directory: the 5-business-day notice is
// enforced unless --security, windows start and end by id, and bad input exits 2 naming what was wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { businessDaysBetween } from '../../../lib/business-days.ts';
import { runCli } from '../../helpers/cli.ts';
import { tempDir } from '../../helpers/tmp.ts';

const DAY = 86_400_000;

function setup(t: { after: (fn: () => void) => void }) {
  const tmp = tempDir('maintenance-cli-');
  t.after(tmp.cleanup);
  const config = path.join(tmp.dir, 'config.json');
  fs.writeFileSync(config, JSON.stringify({ dataDir: path.join(tmp.dir, 'data') }));
  const cli = (...args: string[]) => runCli(['maintenance', ...args, '--config', config]);
  return { cli, list: () => JSON.parse(cli('list', '--json').stdout) as Array<Record<string, unknown>> };
}

const at = (ms: number) => new Date(ms).toISOString();

test('business days count Monday to Friday only', () => {
  const friday = Date.parse('2026-12-04T10:00:00Z');
  assert.equal(businessDaysBetween(friday, Date.parse('2026-12-07T09:00:00Z')), 1); // Monday
  assert.equal(businessDaysBetween(friday, Date.parse('2026-12-11T09:00:00Z')), 5); // next Friday
  assert.equal(businessDaysBetween(friday, Date.parse('2026-12-06T09:00:00Z')), 0); // Sunday
});

test('announce refuses less than 5 business days of notice unless --security', (t) => {
  const { cli, list } = setup(t);
  const soon = cli('announce', '--start', at(Date.now() + 2 * DAY), '--cause', 'upgrade');
  assert.equal(soon.status, 2);
  assert.match(soon.stderr, /business days ahead; HDDT §4\.6 asks for 5 .*--security/);
  assert.deepEqual(list(), []);
  const fix = cli('announce', '--start', at(Date.now() + 2 * DAY), '--cause', 'CVE fix', '--security');
  assert.equal(fix.status, 0, fix.stderr);
  const ahead = Date.now() + 9 * DAY;
  const planned = cli(
    'announce',
    '--start',
    at(ahead),
    '--end',
    at(ahead + 3_600_000),
    '--cause',
    'database',
    '--endpoints',
    'fhir',
  );
  assert.equal(planned.status, 0, planned.stderr);
  assert.match(planned.stdout, /^announced mw-[0-9a-f]{12} {2}planned/);
  const windows = list();
  assert.equal(windows.length, 2);
  const db = windows.find((w) => w.cause === 'database')!;
  assert.deepEqual(db.areas, ['fhir']);
  assert.equal(db.security, false);
  assert.equal(db.endMs, Date.parse(at(ahead + 3_600_000)));
});

test('start by id, end without one; a second end and unknown ids are usage errors', (t) => {
  const { cli, list } = setup(t);
  cli('announce', '--start', at(Date.now() + 9 * DAY), '--cause', 'os upgrade');
  const id = String(list()[0]!.id);
  const started = cli('start', id);
  assert.equal(started.status, 0, started.stderr);
  assert.match(started.stdout, new RegExp(`^started ${id} {2}in_progress`));
  assert.equal(list()[0]!.state, 'in_progress');
  assert.ok(
    Math.abs(Number(list()[0]!.startMs) - Date.now()) < 60_000,
    'the start is now, not the planned one',
  );
  assert.equal(cli('start', id).status, 2);
  const ended = cli('end');
  assert.equal(ended.status, 0, ended.stderr);
  assert.match(ended.stdout, /completed/);
  const again = cli('end', id);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /has ended already/);
  assert.match(cli('end', 'mw-000000000000').stderr, /no maintenance mw-000000000000/);
  assert.match(cli('end').stderr, /no maintenance is in progress/);
});

test('an unannounced start needs a cause and is noted unless it is a security fix', (t) => {
  const { cli, list } = setup(t);
  const none = cli('start');
  assert.equal(none.status, 2);
  assert.match(none.stderr, /--cause is required/);
  const outage = cli('start', '--cause', 'disk replacement', '--endpoints', 'fhir,oauth');
  assert.equal(outage.status, 0, outage.stderr);
  assert.match(outage.stderr, /not announced ahead/);
  assert.deepEqual(list()[0]!.areas, ['fhir', 'oauth']);
});

test('bad times and areas exit 2 naming the option', (t) => {
  const { cli, list } = setup(t);
  const cases: Array<[string[], RegExp]> = [
    [['announce', '--start', 'next monday', '--cause', 'x'], /--start must be an ISO 8601 time with a zone/],
    [
      ['announce', '--start', '2030-01-07T08:00:00', '--cause', 'x'],
      /--start must be an ISO 8601 time with a zone/,
    ],
    [
      ['announce', '--start', at(Date.now() - DAY), '--cause', 'x', '--security'],
      /--start must be in the future/,
    ],
    [
      ['announce', '--start', at(Date.now() + 9 * DAY), '--end', at(Date.now()), '--cause', 'x'],
      /--end .* is not after the start/,
    ],
    [['start', '--cause', 'x', '--endpoints', 'fhir,mqtt'], /--endpoints: unknown area "mqtt"/],
    [['announce', '--start', at(Date.now() + 9 * DAY), '--cause', '   '], /--cause is required/],
  ];
  for (const [args, message] of cases) {
    const r = cli(...args);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, message);
  }
  assert.deepEqual(list(), []);
});
