// The report writers' masking and escaping: a secret of the run is masked wherever it appears (URL, form body,
// URL-encoded, headers, JSON), credentials are masked by name even when the kit never learnt them, LOINC codes
// in searches stay readable, and characters XML forbids cannot break the JUnit file.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Exchange } from '../../conformance/check.ts';
import { Masker, MASK } from '../../conformance/report/mask.ts';
import { esc } from '../../conformance/report/xml.ts';

const SECRET = 'c0de+with/special=chars-0123456789';

describe('masking', () => {
  const m = new Masker([SECRET, '123456']);

  it('masks a known secret in the URL, the form body (URL-encoded) and JSON', () => {
    const e: Exchange = {
      request: {
        method: 'POST',
        url: `https://diga.example/cb?code=${encodeURIComponent(SECRET)}&state=s`,
        headers: { authorization: 'Bearer abc.def.ghi', 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: SECRET }).toString(),
        identity: 'client',
      },
      response: {
        status: 200,
        headers: { 'set-cookie': 'sid=s3cr3t' },
        body: JSON.stringify({ access_token: 'never-seen-by-the-kit', refresh_token: 'r', scope: 'x' }),
      },
      durationMs: 1,
    };
    const out = JSON.stringify(m.exchange(e, 10_000));
    assert.ok(!out.includes(SECRET) && !out.includes(encodeURIComponent(SECRET)), out);
    assert.ok(
      !out.includes('never-seen-by-the-kit') && !out.includes('s3cr3t') && !out.includes('abc.def'),
      out,
    );
    const masked = m.exchange(e, 10_000);
    assert.equal(masked.request.headers.authorization, `Bearer ${MASK}`);
    assert.match(masked.request.url, /code=\*\*\*&state=s$/);
    assert.match(masked.response!.body, /"scope":"x"/);
  });

  it('keeps search parameters readable and short values (a TOTP-like number) in place', () => {
    assert.equal(
      m.text('Observation?code=http%3A%2F%2Floinc.org%7C2339-0&value=123456'),
      'Observation?code=http%3A%2F%2Floinc.org%7C2339-0&value=123456',
    );
  });

  it('cuts long bodies and says how much is left out', () => {
    const e: Exchange = {
      request: { method: 'GET', url: 'https://x/', headers: {}, identity: 'none' },
      response: { status: 200, headers: {}, body: 'x'.repeat(50) },
      durationMs: 0,
    };
    assert.equal(m.exchange(e, 10).response!.body, `${'x'.repeat(10)}… (40 more characters)`);
  });
});

describe('XML escaping', () => {
  it('escapes markup and replaces characters XML 1.0 forbids', () => {
    assert.equal(esc('<a href="x">&\'</a>\u0001'), '&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;\ufffd');
  });
});
