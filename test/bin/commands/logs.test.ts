// `hddt-gateway logs verify|query` on a real log and database: the chain is checked against the key and head
// in the database (from the configuration, or --dir/--db), tampering exits 1 naming the place, bad input exits 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openStore } from '../../../gateway/store/store.ts';
import { logFiles } from '../../../server/audit/log-files.ts';
import { RequestLog } from '../../../server/audit/request-log.ts';
import { runCli } from '../../helpers/cli.ts';
import { tempDir } from '../../helpers/tmp.ts';

const DAY = 86_400_000;

/** A data directory with two days of log (10 lines each, alternating clients and interfaces) and a config. */
function setup(t: { after: (fn: () => void) => void }) {
  const tmp = tempDir('logs-cli-');
  t.after(tmp.cleanup);
  const dataDir = path.join(tmp.dir, 'data');
  const store = openStore({ path: path.join(dataDir, 'hddt.sqlite') });
  const logDir = path.join(dataDir, 'logs', 'requests');
  const start = Date.now() - 2 * DAY;
  let now = start;
  const log = new RequestLog({ dir: logDir, store, retentionDays: 30, now: () => new Date(now) });
  for (let i = 0; i < 20; i++) {
    now = start + Math.floor(i / 10) * DAY + i * 1000;
    log.append({
      timestamp: new Date(now).toISOString(),
      transaction_id: `tx-${i}`,
      pairing_id: null,
      partner_id: 'hub.example',
      client_id: i % 2 ? 'urn:diga:bfarm:10001' : 'urn:diga:bfarm:10002',
      interface_id: i % 2 ? 'oauth:token' : 'fhir:Observation:search-type',
      event_type: 'Transfer',
      status: i % 4 === 0 ? 401 : 200,
      error_code: null,
      error_description: null,
      response_time_ms: 1,
      data_volume_bytes: 10,
      message: 'm',
    });
    if (i === 9) log.flush();
  }
  log.close();
  store.close();
  const config = path.join(tmp.dir, 'config.json');
  fs.writeFileSync(config, JSON.stringify({ dataDir }));
  return {
    dataDir,
    logDir,
    config,
    day: (n: number) => new Date(start + n * DAY).toISOString().slice(0, 10),
  };
}

test('logs verify: intact from the configuration; exit 1 naming an edited line, a cut end, a deleted file', (t) => {
  const s = setup(t);
  const ok = runCli(['logs', 'verify', '--config', s.config]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout, 'ok: 20 lines in 2 files, chain intact through sequence 20\n');
  const [first, second] = logFiles(s.logDir);
  const original = fs.readFileSync(first!.file, 'utf8');
  fs.writeFileSync(first!.file, original.replace('"tx-3"', '"tx-X"'));
  let r = runCli(['logs', 'verify', '--config', s.config]);
  assert.equal(r.status, 1);
  assert.equal(
    r.stdout,
    `broken: ${first!.file} line 4: checksum does not match the content (edited, or not written by this gateway)\n`,
  );
  fs.writeFileSync(first!.file, original);
  const lines = fs.readFileSync(second!.file, 'utf8').trim().split('\n');
  fs.writeFileSync(second!.file, `${lines.slice(0, -1).join('\n')}\n`);
  r = runCli(['logs', 'verify', '--dir', s.logDir, '--db', path.join(s.dataDir, 'hddt.sqlite')]);
  assert.equal(r.status, 1);
  assert.match(
    r.stdout,
    /1 lines missing at the end: the database recorded sequence 20, the file ends at 19/,
  );
  fs.rmSync(second!.file);
  r = runCli(['logs', 'verify', '--config', s.config]);
  assert.equal(r.status, 1);
  assert.equal(
    r.stdout,
    `broken: ${second!.file}: the file of ${s.day(1)} is missing (lines 11-20 recorded; retention did not delete it)\n`,
  );
});

test('logs verify: no database is a usage error, and reading creates no data directory', (t) => {
  const tmp = tempDir('logs-cli-none-');
  t.after(tmp.cleanup);
  const dataDir = path.join(tmp.dir, 'nothing-here');
  const config = path.join(tmp.dir, 'config.json');
  fs.writeFileSync(config, JSON.stringify({ dataDir }));
  const r = runCli(['logs', 'verify', '--config', config]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /no database at .*hddt\.sqlite: it holds the request log's key and head/);
  assert.equal(fs.existsSync(dataDir), false);
  const q = runCli(['logs', 'query', '--config', config]);
  assert.equal(q.status, 0, q.stderr);
  assert.equal(q.stdout, '');
  assert.equal(fs.existsSync(dataDir), false);
});

test('logs query: period, client, interface and status filters; bad input exits 2', (t) => {
  const s = setup(t);
  const q = (...args: string[]) => {
    const r = runCli(['logs', 'query', '--config', s.config, ...args]);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  };
  assert.equal(q().length, 20);
  const day2 = q('--from', s.day(1), '--to', s.day(1));
  assert.deepEqual(
    day2.map((l) => l.transaction_id),
    Array.from({ length: 10 }, (_, i) => `tx-${10 + i}`),
  );
  const token = q('--interface', 'oauth:token', '--client', 'urn:diga:bfarm:10001');
  assert.equal(token.length, 10);
  assert.ok(token.every((l) => l.interface_id === 'oauth:token' && l.client_id === 'urn:diga:bfarm:10001'));
  assert.deepEqual(
    q('--status', '401').map((l) => l.transaction_id),
    ['tx-0', 'tx-4', 'tx-8', 'tx-12', 'tx-16'],
  );
  const bad = runCli(['logs', 'query', '--config', s.config, '--from', 'yesterday']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--from "yesterday" is not an ISO date/);
  const status = runCli(['logs', 'query', '--config', s.config, '--status', '2000']);
  assert.equal(status.status, 2);
  assert.match(status.stderr, /--status "2000" is not an HTTP status code/);
});
