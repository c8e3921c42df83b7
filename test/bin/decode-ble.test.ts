// `hddt-gateway decode` for the BLE kinds, run as a real child process.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spawnCli } from '../helpers/cli.ts';
import { INVALID, VALID } from './decode-ble-vectors.ts';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(['decode', ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000); // generous: CI hosts can be loaded
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

// Each CLI start loads the whole command tree, so the cases run a few at a time.
async function runAll(cases: string[][], parallel = 2): Promise<Run[]> {
  const out: Run[] = new Array(cases.length);
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const i = next++;
      out[i] = await run(cases[i]);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return out;
}

describe('hddt-gateway decode (BLE kinds)', () => {
  // Every vector is checked in-process in commands/decode-kinds/ble.test.ts; a CLI start costs seconds,
  // so the spawned runs cover each kind once (its first vector, valid and invalid).
  const seen = new Set<string>();
  const perKind = VALID.filter(([args]) => {
    const first = !seen.has(args[0]);
    seen.add(args[0]);
    return first;
  });

  it('valid vectors print exactly the expected JSON on one line, exit 0', async () => {
    const results = await runAll(perKind.map(([args]) => args));
    results.forEach((r, i) => {
      const [args, expected] = perKind[i];
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr, '');
      assert.deepEqual(JSON.parse(r.stdout), expected, args.join(' '));
      // Exactly one line, and the documented key order.
      assert.equal(r.stdout, `${JSON.stringify(expected)}\n`);
    });
  });

  it('invalid hex or bytes exit 2 with exactly one line on stderr and nothing on stdout', async () => {
    const kindsSeen = new Set<string>();
    const cases = INVALID.filter(([args]) => {
      const first = !kindsSeen.has(args[0]);
      kindsSeen.add(args[0]);
      return first;
    });
    const results = await runAll(cases.map(([args]) => args));
    results.forEach((r, i) => {
      const [args, reason] = cases[i];
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      const lines = r.stderr.split('\n');
      assert.equal(lines.length, 2, `one line expected: ${JSON.stringify(r.stderr)}`);
      assert.equal(lines[1], '');
      assert.match(lines[0], /^hddt-gateway: /);
      assert.match(lines[0], reason);
      assert.doesNotMatch(r.stderr, /\bat .*\.ts:\d+/); // no stack trace
    });
  });
});
