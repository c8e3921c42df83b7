// The kit's options and login script: every bad value is refused with a message naming the option, and the
// command turns that into one line on stderr and exit code 2.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kitOptions, KitOptionsError, type RawKitOptions } from '../../conformance/options.ts';
import { DEFAULT_PAGES, parseLoginScript } from '../../conformance/login-script.ts';
import { runCli } from '../helpers/cli.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-kit-options-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

const cert = file('c.pem', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
const key = file('k.pem', '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n');
const patients = { a: { username: 'u', password: 'p', totpSecret: 'JBSWY3DPEHPK3PXP' } };
const script = file('login.json', JSON.stringify({ patients }));

const valid: RawKitOptions = {
  base: 'https://ddr.example',
  clientId: 'urn:diga:bfarm:12345',
  redirectUri: 'https://diga.example/cb',
  clientCert: cert,
  clientKey: key,
  ca: cert,
  loginScript: script,
};

function refused(change: Partial<RawKitOptions>, message: RegExp): void {
  assert.throws(
    () => kitOptions({ ...valid, ...change }),
    (e: unknown) => e instanceof KitOptionsError && message.test(e.message),
    String(message),
  );
}

describe('kit options', () => {
  it('accepts a complete set and fills the defaults', () => {
    const o = kitOptions(valid);
    assert.equal(o.fhirBase, 'https://ddr.example/fhir');
    assert.equal(o.pageSize, 5);
    assert.equal(o.manual, false);
    assert.deepEqual(o.login?.pages, DEFAULT_PAGES);
  });

  it('names the option that is wrong', () => {
    refused({ base: undefined }, /^--base is required$/);
    refused({ base: 'http://ddr.example' }, /^--base must be an https URL/);
    refused({ fhirBase: 'not a url' }, /^--fhir-base is not a URL/);
    refused({ clientId: 'diga-1' }, /^--client-id must look like urn:diga:bfarm:NNNNN, got diga-1$/);
    refused({ redirectUri: undefined }, /^--redirect-uri is required$/);
    refused({ browser: true }, /give --login-script or --browser, not both/);
    refused({ loginScript: undefined }, /give --login-script FILE or --browser/);
    refused({ clientCert: path.join(dir, 'missing.pem') }, /^--client-cert: cannot read /);
    refused({ clientKey: cert }, /^--client-key: .* holds no PEM private key$/);
    refused({ otherClientCert: cert }, /--other-client-cert and --other-client-key go together/);
    refused({ pageSize: '0' }, /^--page-size must be an integer 1\.\.100$/);
    refused({ requestLog: path.join(dir, 'nope') }, /^--request-log: .* does not exist$/);
    refused({ loginScript: file('bad.json', '{') }, /^--login-script: the login script .* is not JSON/);
  });
});

describe('login script', () => {
  it('refuses what it cannot run, naming the place', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ patients, extra: 1 }, /unknown key extra/],
      [{ patients: { b: patients.a } }, /patients\.a is required/],
      [
        { patients: { a: { username: 'u', password: 'p' } } },
        /patients\.a has no totpSecret \(used as \{totp\}\)/,
      ],
      [
        { patients, pages: [{ match: 'form', steps: [{ fill: 'input', click: 'b' }] }] },
        /pages\[0\]\.steps\[0\] needs exactly one of/,
      ],
      [
        { patients, pages: [{ match: 'form', steps: [{ hover: 'x' }] }] },
        /pages\[0\]\.steps\[0\]: unknown key hover/,
      ],
      [{ patients, timeoutMs: 10 }, /timeoutMs must be at least 1000/],
    ];
    for (const [raw, message] of bad) assert.throws(() => parseLoginScript(raw), message, String(message));
  });
});

describe('hddt-gateway conformance: usage errors', () => {
  it('exits 2 with one line for a bad option, an unknown option and an unknown group', () => {
    const args = [
      ...['--base', valid.base!, '--client-id', valid.clientId!, '--redirect-uri', valid.redirectUri!],
      ...['--client-cert', cert, '--client-key', key, '--ca', cert, '--login-script', script],
    ];
    const cases: Array<[string[], RegExp]> = [
      [['--base', 'http://x'], /^hddt-gateway: --base must be an https URL: http:\/\/x$/m],
      [['--no-such-option'], /unknown option '--no-such-option'/],
      [[...args, '--only', 'metadata,nope'], /^hddt-gateway: --only: no group nope \(groups: metadata, /m],
    ];
    for (const [a, message] of cases) {
      const r = runCli(['conformance', ...a]);
      assert.equal(r.status, 2, `${a.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    }
  });
});
