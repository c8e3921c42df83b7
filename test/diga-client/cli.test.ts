// `hddt-gateway diga-client` as a child process against the real server over mTLS: info, pair with the
// patient's credentials (settings saved for later commands), poll --once, and exit code 3 with a clear
// message once the patient revoked the pairing. Invalid input is exit code 2.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readAccessLog } from '../../diga-client/access-log.ts';
import { listPairingsOfPatient } from '../../gateway/store/oauth-grants.ts';
import { unpair } from '../../server/oauth/pairing.ts';
import { BIN, ROOT } from '../helpers/cli.ts';
import { removeCertificates, startHarness, type Harness } from '../server/oauth/harness.ts';

let h: Harness;
let stateDir: string;

/** Runs the command asynchronously (the server lives in this process). */
function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'diga-client', ...args], { cwd: ROOT, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

before(async () => {
  h = await startHarness();
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'diga-client-cli-'));
});

after(async () => {
  await h.close();
  removeCertificates();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

describe('hddt-gateway diga-client', () => {
  it('pairs, polls once, and reports a revoked pairing with exit code 3', { timeout: 60_000 }, async () => {
    const c = h.certs.clients[0]!;
    const conn = [
      '--server',
      h.url,
      '--client-id',
      c.clientId,
      '--redirect-uri',
      c.redirectUri,
      '--cert',
      c.certFile,
      '--key',
      c.keyFile,
      '--ca',
      h.certs.caFile,
      '--state-dir',
      stateDir,
    ];
    const info = await cli(['info', ...conn]);
    assert.equal(info.status, 0, info.stderr);
    assert.match(info.stdout, /^issuer: +https:\/\/localhost:\d+$/m);
    assert.match(info.stdout, /^\$hddt-cgm-summary: yes$/m);

    const patient = await h.addPatient();
    const paired = await cli([
      'pair',
      ...conn,
      '--miv',
      'cgm',
      '--username',
      patient.username,
      '--password',
      patient.password,
      '--totp-secret',
      patient.totpSecret,
    ]);
    assert.equal(paired.status, 0, paired.stderr);
    assert.match(paired.stdout, /^paired: cgm; access token valid until /m);
    assert.equal(fs.statSync(path.join(stateDir, 'tokens.json')).mode & 0o777, 0o600);
    const tokens = JSON.parse(fs.readFileSync(path.join(stateDir, 'tokens.json'), 'utf8')) as {
      accessToken: string;
      refreshToken: string;
    };

    // Later commands need only the state folder.
    const poll = await cli(['poll', '--once', '--state-dir', stateDir]);
    assert.equal(poll.status, 0, poll.stderr);
    assert.match(poll.stdout, /poll: \+0 CGM chunk versions/);
    assert.match(poll.stdout, /^CGM chunks: +0 /m);
    for (const out of [info, paired, poll]) {
      assert.ok(!out.stdout.includes(tokens.accessToken) && !out.stdout.includes(tokens.refreshToken));
      assert.ok(!out.stderr.includes(tokens.accessToken) && !out.stderr.includes(tokens.refreshToken));
    }

    // The DiGA's access log is on unless turned off, in <state-dir>/access-log.
    const logged = readAccessLog(path.join(stateDir, 'access-log'));
    assert.ok(logged.some((l) => l.interface_id === 'oauth:par'));
    assert.ok(logged.some((l) => l.interface_id === 'fhir:Observation:search-type'));

    const [pairing] = listPairingsOfPatient(h.services.store, patient.patientId);
    unpair(h.services, pairing!.pairing_id, 'patient_revoked');
    const revoked = await cli(['poll', '--once', '--state-dir', stateDir, '--no-access-log']);
    assert.equal(revoked.status, 3, revoked.stderr);
    assert.match(revoked.stderr, /^hddt-gateway diga-client: .*revoked.*pair again\n$/);
    assert.equal(readAccessLog(path.join(stateDir, 'access-log')).length, logged.length);
  });

  it('invalid input is exit code 2 with one line', async () => {
    const r = await cli(['poll', '--once', '--state-dir', path.join(stateDir, 'none')]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^hddt-gateway diga-client: missing --server, .*\n$/);
    const m = await cli(['pair', '--state-dir', stateDir, '--miv', 'lungs']);
    assert.equal(m.status, 2);
    assert.match(m.stderr, /unknown MIV 'lungs'/);
    const d = await cli(['poll', '--once', '--state-dir', stateDir, '--access-log-days', '7']);
    assert.equal(d.status, 2);
    assert.match(d.stderr, /--access-log-days must be a whole number of at least 30/);
    const file = path.join(stateDir, 'tokens.json');
    const bad = await cli(['poll', '--once', '--state-dir', stateDir, '--access-log-dir', file]);
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(bad.stderr, /access log folder .*tokens\.json: is not a folder\n$/);
  });
});
