// `hddt-gateway demo --smoke` as a child process: gateway, simulated BLE and serial devices, demo patient and
// the reference DiGA client end to end; the printed summary must show data and the CGM summary, tokens must
// not appear, and no socat may be left behind. Plus Ctrl-C on the interactive demo.
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

const dirs: Array<() => void> = [];
after(() => dirs.forEach((c) => c()));

function collect(child: ReturnType<typeof spawnCli>) {
  const out = { stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out.stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out.stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { out, exited };
}

/** The pty folders the demo printed: no process may still hold them after exit. */
function ptyDirs(stdout: string): string[] {
  return [...stdout.matchAll(/(\/tmp\/[^\s/]*pty-[^\s/]+)\//g)].map((m) => m[1]!);
}

function strays(dirsOfRun: string[]): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return ps.split('\n').filter((l) => dirsOfRun.some((d) => l.includes(d)));
}

function count(stdout: string, label: string): number {
  const m = new RegExp(`^${label}:\\s+(\\d+)`, 'm').exec(stdout);
  assert.ok(m, `no '${label}' line in:\n${stdout}`);
  return Number(m[1]);
}

describe('npm run demo', () => {
  it('--smoke pairs the DiGA client, fetches data and prints the summary', { timeout: 90_000 }, async () => {
    const { dir, cleanup } = tempDir('hddt-demo-');
    dirs.push(cleanup);
    const started = Date.now();
    const child = spawnCli(['demo', '--smoke', '--data-dir', dir, '--port', '0', '--operator-port', '0']);
    const { out, exited } = collect(child);
    const code = await exited;
    assert.equal(code, 0, `stdout:\n${out.stdout}\nstderr:\n${out.stderr}`);
    assert.ok(Date.now() - started < 90_000);
    const s = out.stdout;
    assert.match(s, /demo patient \S+ \(new\): password \S{10,}\s+TOTP secret [A-Z2-7]{16,}/);
    assert.match(s, /DiGA client paired .*: bloodGlucose, cgm/);
    assert.ok(count(s, 'CGM chunks') > 300, 'about 14 days of hourly chunks');
    assert.ok(count(s, 'BG observations') > 0);
    assert.ok(count(s, 'Devices') >= 3, 'CGM, BLE glucose meter, serial meter');
    assert.ok(count(s, 'DeviceMetrics') >= 3);
    assert.match(s, /^Latest CGM:\s+[<>]?\d+(\.\d+)? mg\/dL at /m);
    assert.match(s, /^Latest BG:\s+[<>]?\d+(\.\d+)? mg\/dL at /m);
    assert.match(s, /^CGM summary:\s+\S+ – \S+$/m);
    assert.match(s, /^ {2}mean glucose\s+\d+(\.\d+)? mg\/dL$/m);
    assert.match(s, /^ {2}time in ranges\s+very low [\d.]+ %, low [\d.]+ %, target [\d.]+ %/m);
    assert.match(s, /^demo smoke: ok$/m);
    assert.match(s, /operator status page:\s+http:\/\/127\.0\.0\.1:\d+\//);
    assert.match(s, /patient pages:\s+https:\/\/localhost:\d+\/account\//);
    // Tokens are never printed (the demo prints only the patient's password and TOTP secret).
    const tokens = JSON.parse(fs.readFileSync(`${dir}/diga-client/tokens.json`, 'utf8')) as {
      accessToken: string;
      refreshToken: string;
    };
    for (const t of [tokens.accessToken, tokens.refreshToken]) {
      assert.ok(!s.includes(t) && !out.stderr.includes(t));
    }
    assert.equal(fs.statSync(`${dir}/diga-client/tokens.json`).mode & 0o777, 0o600);
    const lines = fs.readFileSync(`${dir}/diga-client/resources.jsonl`, 'utf8').trim().split('\n');
    assert.ok(lines.length > 300);
    const pty = ptyDirs(s);
    assert.equal(pty.length, 2, s);
    assert.deepEqual(strays(pty), []);
  });

  it('Ctrl-C stops the interactive demo cleanly', { timeout: 90_000 }, async () => {
    const { dir, cleanup } = tempDir('hddt-demo-');
    dirs.push(cleanup);
    const child = spawnCli(['demo', '--data-dir', dir, '--port', '0', '--operator-port', '0']);
    const { out, exited } = collect(child);
    const deadline = Date.now() + 80_000;
    while (!out.stdout.includes('Ctrl-C stops') && Date.now() < deadline && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(out.stdout, /Ctrl-C stops/, out.stderr);
    child.kill('SIGINT');
    const code = await exited;
    assert.equal(code, 0, out.stderr);
    assert.match(out.stdout, /stopping…/);
    assert.deepEqual(strays(ptyDirs(out.stdout)), []);
  });
});
