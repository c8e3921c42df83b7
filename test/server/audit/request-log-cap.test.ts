// The request log's cap in the running server: past `maxTotalBytes` the server keeps answering, request lines
// are counted instead of written, an error goes to the application log and the Prometheus counter rises.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { logFiles } from '../../../server/audit/log-files.ts';
import { verifyLogs } from '../../../server/audit/request-log-verify.ts';
import { gatewayMetrics } from '../../../server/operator/metrics.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { startLoggedServer } from './logged-server.ts';

async function droppedAtCap(): Promise<number> {
  const m = await gatewayMetrics.requestLogDropped.get();
  return m.values.find((v) => v.labels.reason === 'cap')?.value ?? 0;
}

test('at maxTotalBytes: answers go on, lines are counted, an error is logged and the metric counts', async (t) => {
  const tmp = tempDir('reqlog-cap-');
  t.after(tmp.cleanup);
  const s = await startLoggedServer({
    dataDir: path.join(tmp.dir, 'data'),
    certsDir: path.join(tmp.dir, 'certs'),
    server: { fhir: { requestLog: { maxTotalBytes: 8192 } } },
  });
  t.after(() => s.close());
  const before = await droppedAtCap();
  for (let i = 0; i < 40; i++) assert.equal((await s.get('/fhir/Observation?_count=1')).status, 200);
  await new Promise((r) => setImmediate(r));
  const file = logFiles(s.logDir)[0]!.file;
  const written = fs.readFileSync(file, 'utf8').trim().split('\n').length;
  assert.ok(written > 3 && written < 40, `${written} lines under a cap of 8192 bytes`);
  assert.ok(fs.statSync(file).size <= 8192 + 2048, 'no more than the cap and one line');
  assert.equal((await droppedAtCap()) - before, 40 - written);
  const alarm = s.logs.filter((l) => l.level === 50 && /request log at its cap/.test(l.msg));
  assert.equal(alarm.length, 1, JSON.stringify(s.logs));
  // the minute's count is written past the cap, chained like any line
  s.clock.advance(60_000);
  await new Promise((r) => setTimeout(r, 1_200));
  const last = JSON.parse(fs.readFileSync(file, 'utf8').trim().split('\n').at(-1)!);
  assert.deepEqual([last.dropped.reason, last.dropped.count], ['cap', 40 - written]);
  assert.equal(verifyLogs(s.logDir, s.store).ok, true);
});
