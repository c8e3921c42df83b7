// One run of the kit against a DDR: the groups in the order their state needs (metadata before PAR, patient A's
// pairing before the FHIR checks, B's before isolation, revocations last), every check recorded, the result a
// report (every check of the kit listed, what did not run as skipped with its reason).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CheckSkipped, type CheckResult, type CheckSpec } from '../check.ts';
import { PatientBrowsers } from '../browser-login.ts';
import { KitContext, type Group } from '../context.ts';
import { Probe } from '../http.ts';
import { makeImpostor } from '../impostor.ts';
import type { KitOptions } from '../options.ts';
import { scriptSecrets } from '../login-script.ts';
import { Recorder } from '../recorder.ts';
import { serverSpkiPin } from '../tls-pin.ts';
import { capabilityGroup } from '../checks/capability.ts';
import { cgmSummaryGroup } from '../checks/cgm-summary.ts';
import { clientAuthGroup } from '../checks/client-auth.ts';
import { codeFlowGroup } from '../checks/code-flow.ts';
import { codeReuseGroup } from '../checks/code-reuse.ts';
import { errorsGroup, no403Group } from '../checks/errors.ts';
import { fhirAccessGroup } from '../checks/fhir-access.ts';
import { formatsGroup } from '../checks/formats.ts';
import { isolationGroup } from '../checks/isolation.ts';
import { metadataGroup } from '../checks/metadata.ts';
import { oneMivGroup } from '../checks/one-miv.ts';
import { operationsGroup } from '../checks/operations.ts';
import { pagingGroup } from '../checks/paging.ts';
import { refreshGroup } from '../checks/refresh.ts';
import { requestLogGroup } from '../checks/request-log.ts';
import { resourcesGroup } from '../checks/resources.ts';
import { searchDeviceGroup } from '../checks/search-device.ts';
import { searchGroup } from '../checks/search-observation.ts';
import { tokenClaimsGroup } from '../checks/token-claims.ts';

/** A check's result with the group that ran it. */
export interface ReportedCheck extends CheckResult {
  group: string;
}

export interface Report {
  kit: { name: string; version: string };
  target: { base: string; fhirBase: string; clientId: string };
  startedAt: string;
  durationMs: number;
  results: ReportedCheck[];
  summary: Record<'pass' | 'fail' | 'skip' | 'mustFailed' | 'mustSkipped' | 'total', number>;
  /** Secrets of the run: the writers mask them; never written themselves. */
  secrets: string[];
}

/** The groups, in run order. */
export function groups(startedMs = Date.now()): Group[] {
  return [
    metadataGroup,
    capabilityGroup,
    clientAuthGroup,
    codeFlowGroup,
    tokenClaimsGroup,
    fhirAccessGroup,
    searchGroup,
    searchDeviceGroup,
    pagingGroup,
    formatsGroup,
    errorsGroup,
    cgmSummaryGroup,
    resourcesGroup,
    isolationGroup,
    refreshGroup,
    oneMivGroup,
    codeReuseGroup,
    requestLogGroup(startedMs),
    operationsGroup,
    no403Group,
  ];
}

/** Every check of the kit, in report order. */
export function catalog(): CheckSpec[] {
  return groups().flatMap((g) => Object.values(g.checks));
}

export const GROUP_NAMES = groups().map((g) => g.name);

export interface RunOptions {
  log?: (line: string) => void;
  version?: string;
}

/** The DDR's certificate keys, as pins for Chromium (verified against --ca first). */
async function spkiPins(opts: KitOptions): Promise<string[]> {
  const origins = [...new Set([opts.base, opts.fhirBase].map((u) => new URL(u).origin))];
  const pins = await Promise.all(origins.map((u) => serverSpkiPin(u, opts.ca).catch(() => undefined)));
  return pins.filter((s): s is string => s !== undefined);
}

/** Runs the groups in order; a group that stops has its remaining checks skipped with the reason. */
async function runGroups(all: Group[], ctx: KitContext): Promise<void> {
  for (const g of all) {
    if (ctx.opts.only && !ctx.opts.only.includes(g.name)) {
      ctx.rec.skipAll(Object.values(g.checks), `group ${g.name} not selected (--only)`);
      continue;
    }
    try {
      await g.run(ctx);
    } catch (err) {
      const reason =
        err instanceof CheckSkipped ? err.message : `the group stopped: ${(err as Error).message}`;
      ctx.rec.skipAll(Object.values(g.checks), reason);
    }
  }
}

function summarize(results: ReportedCheck[]): Report['summary'] {
  const count = (status: string, level?: string) =>
    results.filter((r) => r.status === status && (!level || r.level === level)).length;
  return {
    pass: count('pass'),
    fail: count('fail'),
    skip: count('skip'),
    mustFailed: count('fail', 'MUST'),
    mustSkipped: count('skip', 'MUST'),
    total: results.length,
  };
}

export async function runKit(opts: KitOptions, run: RunOptions = {}): Promise<Report> {
  const log = run.log ?? (() => undefined);
  const started = Date.now();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-conformance-'));
  const impostor = await makeImpostor(opts.client.cert);
  const identities = { client: opts.client, impostor, ...(opts.other ? { other: opts.other } : {}) };
  const probe = new Probe(opts.ca, identities);
  const rec = new Recorder(probe, log);
  const browsers = new PatientBrowsers({
    chromiumPath: opts.chromiumPath,
    spki: await spkiPins(opts),
    manual: opts.manual,
    dir: tmp,
    log,
  });
  const ctx = new KitContext(opts, probe, rec, browsers, log);
  ctx.secret(opts.client.key, opts.other?.key, impostor.key);
  const all = groups(started);
  try {
    await runGroups(all, ctx);
  } finally {
    await browsers.close();
    probe.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const groupOf = new Map(all.flatMap((g) => Object.values(g.checks).map((c) => [c.id, g.name] as const)));
  const results = rec
    .finish(all.flatMap((g) => Object.values(g.checks)))
    .map((r) => ({ ...r, group: groupOf.get(r.id)! }));
  return {
    kit: { name: 'hddt-gateway conformance', version: run.version ?? 'dev' },
    target: { base: opts.base, fhirBase: opts.fhirBase, clientId: opts.clientId },
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    results,
    summary: summarize(results),
    secrets: [...ctx.secrets, ...browsers.secrets, ...(opts.login ? scriptSecrets(opts.login) : [])],
  };
}
