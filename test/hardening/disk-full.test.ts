// A full disk, for real: the data directory (database and request log) on an 8 MB tmpfs, filled to the last
// byte while the HTTPS server runs. Readings given to ingest() are refused with SQLITE_FULL or kept (never half
// a batch), the database stays intact with every earlier reading, the server keeps answering while the request
// log cannot write (queued up to maxQueuedLines, the rest counted), and everything resumes when space returns.
// Mounting needs root; anyone else runs this file again inside a user and mount namespace (unshare -rm).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ingest } from '../../gateway/ingest/pipeline.ts';
import type { Reading } from '../../gateway/readings/reading.ts';
import { listReadings } from '../../gateway/store/readings.ts';
import { logFiles } from '../../server/audit/log-files.ts';
import { queryLogs, verifyLogs } from '../../server/audit/request-log-verify.ts';
import { BG_KEY, CGM_KEY, crashReadings } from '../crash/fixtures/readings.ts';
import { tempDir } from '../helpers/tmp.ts';
import { startLoggedServer, type LoggedServer } from '../server/audit/logged-server.ts';

const here = fileURLToPath(import.meta.url);
const QUEUED = 30;

if (process.getuid?.() !== 0) {
  test('disk full (run again in a user and mount namespace, which may mount a tmpfs)', () => {
    const r = spawnSync(
      'unshare',
      ['--user', '--map-root-user', '--mount', process.execPath, '--import', 'tsx', '--test', here],
      { encoding: 'utf8', timeout: 170_000 },
    );
    assert.equal(r.status, 0, `${r.error?.message ?? ''}\n${r.stdout}\n${r.stderr}`);
  });
} else {
  const tmp = tempDir('hddt-disk-full-');
  const disk = path.join(tmp.dir, 'disk');
  const filler = path.join(disk, 'filler');
  let s: LoggedServer;
  let readings: Reading[];
  const stored = () =>
    [...listReadings(s.store, CGM_KEY), ...listReadings(s.store, BG_KEY)].map((r) => r.identity);
  const integrity = () => s.store.db.pragma('integrity_check', { simple: true });
  const until = async (what: string, cond: () => boolean) => {
    for (let i = 0; !cond(); i++) {
      if (i > 100) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  before(async () => {
    fs.mkdirSync(disk);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m,mode=0700', 'tmpfs', disk]);
    s = await startLoggedServer({
      dataDir: disk,
      certsDir: path.join(tmp.dir, 'certs'),
      server: { fhir: { requestLog: { maxQueuedLines: QUEUED } } },
    });
    readings = crashReadings(new Date(Date.now() - 3 * 86_400_000), 1500, 2);
  });

  after(async () => {
    await s?.close();
    spawnSync('umount', ['-l', disk]);
    tmp.cleanup();
  });

  test('before: readings are stored and requests logged on the small disk', async () => {
    assert.equal(ingest(s.store, readings.slice(0, 300)).stored, 300);
    for (let i = 0; i < 5; i++) assert.equal((await s.get('/fhir/Observation?_count=2')).status, 200);
    await new Promise((r) => setImmediate(r));
    assert.equal([...queryLogs(s.logDir, {})].length, 5);
  });

  test('full: ingest refuses with SQLITE_FULL or keeps a batch whole, and loses nothing stored', () => {
    const fd = fs.openSync(filler, 'w');
    for (const size of [1 << 20, 65536, 4096, 512, 1]) {
      const chunk = Buffer.alloc(size, 0x55);
      try {
        for (;;) fs.writeSync(fd, chunk);
      } catch (err) {
        assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
      }
    }
    fs.closeSync(fd);
    const before = stored();
    let refused = 0;
    let at = 300;
    for (const size of [1, 25, 300, 600]) {
      const batch = readings.slice(at, at + size);
      at += size;
      const had = stored().length;
      try {
        const res = ingest(s.store, batch);
        assert.equal(stored().length, had + res.stored, 'kept: the whole batch');
      } catch (err) {
        refused++;
        assert.equal((err as { code?: string }).code, 'SQLITE_FULL');
        assert.match((err as Error).message, /database or disk is full/);
        assert.equal(stored().length, had, 'refused: nothing of the batch');
      }
    }
    assert.ok(refused >= 2, 'the larger batches cannot fit');
    assert.equal(integrity(), 'ok');
    const after = new Set(stored());
    assert.ok(
      before.every((id) => after.has(id)),
      'every earlier reading is still there',
    );
  });

  test('full: the server answers, the log keeps what it can, counts the rest and raises an alarm', async () => {
    const before = [...queryLogs(s.logDir, {})].length;
    for (let i = 0; i < 60; i++) assert.equal((await s.get('/fhir/Observation?_count=2')).status, 200);
    await until('the write alarm', () =>
      s.logs.some((l) => l.level === 50 && /request log write failed/.test(l.msg)),
    );
    const alarm = s.logs.find((l) => /request log write failed/.test(l.msg))!;
    assert.match(alarm.msg, /ENOSPC/);
    assert.ok([...queryLogs(s.logDir, {})].length - before < 60, 'not every line fits');
    for (const f of logFiles(s.logDir))
      assert.equal(fs.readFileSync(f.file).at(-1), 0x0a, 'a failed write leaves no half line behind');
    assert.equal(integrity(), 'ok');
  });

  test('space returns: the same readings are stored, queued lines and the count of dropped ones are written', async () => {
    fs.rmSync(filler);
    const res = ingest(s.store, readings.slice(300));
    assert.equal(stored().length, readings.length, JSON.stringify(res));
    assert.equal(integrity(), 'ok');
    await until('the log to write again', () => s.logs.some((l) => /request log writes again/.test(l.msg)));
    assert.equal((await s.get('/fhir/Observation?_count=2')).status, 200);
    s.clock.advance(60_000);
    await until('the count of dropped lines', () => [...queryLogs(s.logDir, {})].some((l) => l.dropped));
    const lines = [...queryLogs(s.logDir, {})];
    const requests = lines.filter((l) => l.interface_id === 'fhir:Observation:search-type');
    const dropped = lines.find((l) => l.dropped)!.dropped!;
    assert.equal(dropped.reason, 'queue_full');
    assert.equal(requests.length + dropped.count, 5 + 60 + 1, 'each request written or counted');
    assert.ok(requests.length >= 5 + QUEUED, 'the queued lines were written');
    const chain = verifyLogs(s.logDir, s.store, { retentionDays: 30 });
    assert.equal(chain.ok, true, JSON.stringify(chain.error));
    assert.equal(logFiles(s.logDir).length, 1);
  });
}
