// The conformance kit (`hddt-gateway conformance`) against our own gateway, started here with dev certificates,
// a DiGA directory, two test patients with TOTP and their data: every MUST check passes, and the three reports
// are written and readable (the JUnit XML and the HTML page parsed by Chromium). Then against a deliberately
// broken copy of the gateway (broken.ts): exactly the checks that are there to find its faults fail, and the
// command exits 1. The report of the run against our server stays in test-artifacts/conformance/ for CI.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chromium, type Browser } from 'playwright-core';
import { catalog } from '../../conformance/suite/run.ts';
import { addWindow, startWindow } from '../../gateway/store/maintenance.ts';
import { ROOT, spawnCli } from '../helpers/cli.ts';
import { breakServer } from './broken.ts';
import { kitArgs, removeCertificates, startKitGateway, type KitGateway } from './gateway.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const REPORT_DIR = path.join(ROOT, 'test-artifacts', 'conformance');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  json: {
    summary: Record<string, number>;
    results: Array<{
      id: string;
      group: string;
      level: string;
      status: string;
      detail: string;
      section: string;
    }>;
  };
}

/** The command in a child process (asynchronously: this process serves the gateway meanwhile). */
async function runCommand(gw: KitGateway, reportDir: string, extra: string[] = []): Promise<Run> {
  fs.rmSync(reportDir, { recursive: true, force: true });
  const child = spawnCli(['conformance', ...kitArgs(gw, reportDir), '--chromium', CHROMIUM, ...extra]);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const file = path.join(reportDir, 'report.json');
  assert.ok(fs.existsSync(file), `no report.json (exit ${status}): ${stderr.slice(-2000)}`);
  return { status, stdout, stderr, json: JSON.parse(fs.readFileSync(file, 'utf8')) as Run['json'] };
}

interface XmlElement {
  nodeName: string;
  getAttribute(name: string): string | null;
}
interface XmlDoc {
  documentElement: XmlElement;
  getElementsByTagName(name: string): { length: number };
}

const failed = (r: Run) => new Set(r.json.results.filter((x) => x.status === 'fail').map((x) => x.id));

let browser: Browser;
let good: Run;
let gw: KitGateway;

before(async () => {
  assert.ok(fs.existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: install it or set CHROMIUM_PATH`);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  gw = await startKitGateway();
  // a maintenance announced 9 days ahead: the feed has one for the kit to check the notice of
  const start = Date.now() + 9 * 86_400_000;
  addWindow(
    gw.services.store,
    { cause: 'database upgrade', areas: ['fhir'], security: false, startMs: start, endMs: start + 3_600_000 },
    Date.now(),
  );
  good = await runCommand(gw, REPORT_DIR);
  await gw.close();
});

after(async () => {
  await browser?.close();
  await removeCertificates();
});

describe('the kit against our gateway', () => {
  it('passes every MUST check and exits 0', () => {
    const mustFailed = good.json.results.filter((r) => r.level === 'MUST' && r.status === 'fail');
    assert.deepEqual(
      mustFailed.map((r) => `${r.id}: ${r.detail}`),
      [],
    );
    assert.equal(good.status, 0, good.stderr.slice(-2000));
    assert.match(good.stdout, /reports: .*report\.html/);
  });

  it('ran the checks that need a pairing, two patients, another certificate and the request log', () => {
    const status = new Map(good.json.results.map((r) => [r.id, r.status]));
    for (const id of [
      'code-flow.redirect',
      'token-claims.aud',
      'client-auth.parOtherCertificate',
      'fhir-access.impostor',
      'search.dateGt',
      'paging.noGap',
      'cgm-summary.bundle',
      'resources.r4',
      'cgm.limits',
      'bg.unit',
      'isolation.searchDisjoint',
      'refresh.rotation',
      'one-miv.otherMivRead',
      'code-reuse.secondExchange',
      'request-log.coverage',
      'request-log.noSecrets',
    ]) {
      assert.equal(status.get(id), 'pass', id);
    }
    for (const id of ['operations.statusFeed', 'operations.statusFields', 'operations.announcedAhead'])
      assert.equal(status.get(id), 'pass', id);
    // skipped: only what needs a maintenance in progress (the next describe runs the kit during one)
    const mustSkipped = good.json.results.filter((r) => r.level === 'MUST' && r.status === 'skip');
    assert.deepEqual(mustSkipped.map((r) => r.id).sort(), [
      'operations.maintenance503',
      'operations.maintenanceOauth',
      'operations.maintenanceOutcome',
    ]);
  });

  it('writes a JSON report with one result per check of the kit', () => {
    const ids = catalog().map((c) => c.id);
    assert.deepEqual(
      good.json.results.map((r) => r.id),
      ids,
    );
    assert.equal(good.json.summary.total, ids.length);
    const s = good.json.summary;
    assert.equal(s.pass! + s.fail! + s.skip!, s.total);
  });

  it('writes well-formed JUnit XML with a testcase per check', async () => {
    const xml = fs.readFileSync(path.join(REPORT_DIR, 'report.xml'), 'utf8');
    const page = await browser.newPage();
    const parsed = await page.evaluate((text) => {
      // runs in Chromium: its DOMParser (the project compiles without DOM types)
      const Parser = (
        globalThis as unknown as { DOMParser: new () => { parseFromString(s: string, t: string): XmlDoc } }
      ).DOMParser;
      const d = new Parser().parseFromString(text, 'application/xml');
      if (d.getElementsByTagName('parsererror').length > 0) return undefined;
      const root = d.documentElement;
      return {
        root: root.nodeName,
        tests: Number(root.getAttribute('tests')),
        failures: Number(root.getAttribute('failures')),
        cases: d.getElementsByTagName('testcase').length,
        failureElements: d.getElementsByTagName('failure').length,
      };
    }, xml);
    await page.close();
    assert.ok(parsed, 'the JUnit XML does not parse');
    assert.equal(parsed.root, 'testsuites');
    assert.equal(parsed.cases, good.json.summary.total);
    assert.equal(parsed.tests, good.json.summary.total);
    assert.equal(parsed.failures, good.json.summary.fail);
    assert.equal(parsed.failureElements, good.json.summary.fail);
  });

  it('writes a self-contained HTML page with one row per check', async () => {
    const html = fs.readFileSync(path.join(REPORT_DIR, 'report.html'), 'utf8');
    assert.doesNotMatch(html, /<script|<link|src="http/i, 'the page loads nothing from elsewhere');
    const page = await browser.newPage();
    await page.goto(`file://${path.join(REPORT_DIR, 'report.html')}`);
    const rows = await page.locator('tr.check').count();
    const statusOfFirst = await page.locator('tr.check').first().locator('td.status').textContent();
    const section = await page.locator('tr[id="search.dateGt"] td').nth(3).textContent();
    await page.close();
    assert.equal(rows, good.json.summary.total);
    assert.equal(statusOfFirst, 'pass');
    assert.equal(section, 'hddt.md §1.2 Search parameters');
  });

  it('masks every token, code and credential in all three reports', () => {
    for (const f of ['report.xml', 'report.html', 'report.json']) {
      const text = fs.readFileSync(path.join(REPORT_DIR, f), 'utf8');
      assert.doesNotMatch(text, /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]{20,}/, `${f}: a signed JWT`);
      for (const p of [gw.a, gw.b]) {
        assert.ok(!text.includes(p.password), `${f}: a password`);
        assert.ok(!text.includes(p.totpSecret), `${f}: a TOTP secret`);
      }
      assert.ok(!text.includes('PRIVATE KEY'), `${f}: a private key`);
    }
    assert.match(
      fs.readFileSync(path.join(REPORT_DIR, 'report.json'), 'utf8'),
      /"authorization": "Bearer \*\*\*"/,
    );
  });
});

describe('the kit against a broken gateway', () => {
  let broken: Run;
  let dir: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-kit-broken-'));
    const bad = await startKitGateway(breakServer);
    try {
      broken = await runCommand(bad, dir);
    } finally {
      await bad.close();
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('fails exactly the checks for its four faults, and exits 1', () => {
    const faults = [
      'bg.unit',
      'search.valueQuantity',
      'token-claims.aud',
      'paging.noGap',
      'paging.sorted',
      'cgm.limits',
    ];
    const want = [...new Set([...failed(good), ...faults])].sort();
    assert.deepEqual([...failed(broken)].sort(), want);
    assert.equal(broken.status, 1);
    const why = new Map(broken.json.results.map((r) => [r.id, r.detail]));
    assert.match(why.get('bg.unit')!, /unit mmol\/L for a code that implies mg\/dL/);
    assert.match(why.get('cgm.limits')!, /outside \[40, 400\] not coded L\/U \(12\)/);
    assert.match(why.get('token-claims.aud')!, /no aud claim/);
    assert.match(why.get('paging.noGap')!, /missing/);
  });
});

/** The operations group alone, during a maintenance of the FHIR API and the authorization server. */
async function duringMaintenance(tamper?: typeof breakServer): Promise<Run> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-kit-maintenance-'));
  const g = await startKitGateway(tamper);
  try {
    const now = Date.now();
    const w = addWindow(
      g.services.store,
      {
        cause: 'security patch',
        areas: ['fhir', 'oauth'],
        security: true,
        startMs: now,
        endMs: now + 1_800_000,
      },
      now,
    );
    startWindow(g.services.store, w.id, now);
    return await runCommand(g, dir, ['--only', 'operations']);
  } finally {
    await g.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('the kit during a maintenance', () => {
  it('our gateway passes every operations check', async () => {
    const run = await duringMaintenance();
    const ops = run.json.results.filter((r) => r.group === 'operations');
    assert.deepEqual(
      ops.filter((r) => r.status !== 'pass').map((r) => `${r.id}: ${r.status} ${r.detail}`),
      ['operations.announcedAhead: skip no planned (announced, non-security) maintenance in the feed'],
    );
    assert.equal(run.status, 0, run.stderr.slice(-2000));
  });

  it('a generic 503 without Retry-After fails the outcome and Retry-After checks', async () => {
    const run = await duringMaintenance(breakServer);
    const bad = run.json.results.filter((r) => r.group === 'operations' && r.status === 'fail');
    assert.deepEqual(bad.map((r) => r.id).sort(), ['operations.maintenanceOutcome', 'operations.retryAfter']);
    assert.equal(run.status, 1);
  });
});
