// Operations (§4.6, §1.4): a public machine-readable status feed (status, planned maintenance with start, end,
// cause and affected endpoints, next update), maintenance announced five business days ahead unless it is a
// security fix, and while maintenance runs: 503 with Retry-After and an OperationOutcome that says maintenance.
// HDDT fixes no feed format; the kit reads the members its docs name (docs/conformance.md) and, for other
// DDRs, needs the feed's URL (--status-url).
import { defineChecks, expect, fail, skip } from '../check.ts';
import type { Group, KitContext } from '../context.ts';
import { fhirCall, outcomeOf } from '../fhir.ts';
import type { ProbeResponse } from '../http.ts';
import { businessDaysBetween, MAINTENANCE_NOTICE_BUSINESS_DAYS } from '../../lib/business-days.ts';

const C = defineChecks('operations', {
  statusFeed: {
    section: '4.6',
    level: 'MUST',
    requirement: 'a public status feed answers machine-readable JSON without a client certificate',
  },
  statusFields: {
    section: '4.6',
    level: 'MUST',
    requirement:
      'the feed gives the status, the next update, and for each maintenance its start, end, cause and affected endpoints',
  },
  announcedAhead: {
    section: '4.6',
    level: 'MUST',
    requirement:
      'planned maintenance is announced at least 5 business days before its start (security fixes excepted)',
  },
  maintenance503: {
    section: '1.4',
    level: 'MUST',
    requirement: 'during maintenance the affected FHIR API answers 503, not a generic error',
  },
  maintenanceOutcome: {
    section: '4.6',
    level: 'MUST',
    requirement: 'the 503 carries an OperationOutcome (transient or throttled) that says maintenance',
  },
  retryAfter: { section: '1.4', level: 'SHOULD', requirement: 'the maintenance 503 carries Retry-After' },
  maintenanceOauth: {
    section: '4.6',
    level: 'MUST',
    requirement:
      'during maintenance an affected authorization server endpoint answers 503 with a machine-readable reason',
  },
});

interface Window {
  state?: unknown;
  start?: unknown;
  end?: unknown;
  cause?: unknown;
  affected_endpoints?: unknown;
  announced?: unknown;
  security?: unknown;
}

interface Feed {
  status?: unknown;
  next_update?: unknown;
  maintenance?: Window[];
}

const isTime = (v: unknown) => typeof v === 'string' && !Number.isNaN(Date.parse(v));

async function feedChecks(ctx: KitContext, url: string, given: boolean): Promise<Feed | undefined> {
  let feed: Feed | undefined;
  await ctx.rec.check(C.statusFeed, async () => {
    const res = await ctx.probe.send({ url, as: 'none', headers: { accept: 'application/json' } });
    if (!given && res.status === 404) skip(`no status feed at ${url}; give its URL with --status-url`);
    expect(res.status === 200, `${url}: HTTP ${res.status || res.error}`);
    feed = res.json<Feed>();
    expect(feed && typeof feed === 'object', 'not JSON');
  });
  const f = feed;
  const ev = ctx.rec.lastEvidence;
  await ctx.rec.check(C.statusFields, (r) => {
    r.cite(...ev);
    if (!f) skip('no feed');
    expect(typeof f.status === 'string', 'no status');
    expect(isTime(f.next_update), `next_update is ${JSON.stringify(f.next_update)}`);
    expect(Array.isArray(f.maintenance), 'no maintenance list');
    for (const w of f.maintenance) {
      expect(isTime(w.start), `a maintenance without start: ${JSON.stringify(w)}`);
      expect(w.end === null || isTime(w.end), `a maintenance with end ${JSON.stringify(w.end)}`);
      expect(typeof w.cause === 'string' && w.cause.length > 0, 'a maintenance without cause');
      expect(
        Array.isArray(w.affected_endpoints) && w.affected_endpoints.length > 0,
        'a maintenance without affected endpoints',
      );
    }
    return `status ${String(f.status)}, ${f.maintenance.length} maintenance windows`;
  });
  await ctx.rec.check(C.announcedAhead, (r) => {
    r.cite(...ev);
    const planned = (f?.maintenance ?? []).filter(
      (w) => w.security !== true && isTime(w.announced) && isTime(w.start),
    );
    if (planned.length === 0) skip('no planned (announced, non-security) maintenance in the feed');
    const late = planned.filter(
      (w) =>
        businessDaysBetween(Date.parse(String(w.announced)), Date.parse(String(w.start))) <
        MAINTENANCE_NOTICE_BUSINESS_DAYS,
    );
    expect(late.length === 0, `${late.length} announced less than 5 business days ahead`);
  });
  return f;
}

function mentionsMaintenance(res: ProbeResponse): boolean {
  return /maintenance|wartung/i.test(res.text);
}

async function duringMaintenance(ctx: KitContext, feed: Feed | undefined): Promise<void> {
  const active = (feed?.maintenance ?? []).filter((w) => w.state === 'in_progress');
  const affected = new Set(
    active.flatMap((w) => (Array.isArray(w.affected_endpoints) ? w.affected_endpoints.map(String) : [])),
  );
  const inMaintenance = feed?.status === 'maintenance' && active.length > 0;
  const fhirAffected = [...affected].some(
    (e) => e.startsWith(ctx.opts.fhirBase) || ctx.opts.fhirBase.startsWith(e),
  );
  let fhir: ProbeResponse | undefined;
  await ctx.rec.check(C.maintenance503, async () => {
    if (!inMaintenance) skip('no maintenance is in progress (run the kit again during one to check the 503)');
    if (!fhirAffected) skip('the running maintenance does not affect the FHIR API');
    fhir = await fhirCall(ctx, 'Observation?_count=1');
    expect(fhir.status === 503, `HTTP ${fhir.status || fhir.error}, not 503`);
  });
  const f = fhir;
  await ctx.rec.check(C.maintenanceOutcome, (r) => {
    if (!f || f.status !== 503) skip('no maintenance 503 to look at');
    r.cite(f.exchange);
    const oo = outcomeOf(f);
    expect(oo, 'no OperationOutcome');
    expect(
      oo.issue.some((i) => i.code === 'transient' || i.code === 'throttled'),
      `issue code ${String(oo.issue[0]?.code)}`,
    );
    expect(mentionsMaintenance(f), 'the OperationOutcome does not say maintenance');
  });
  await ctx.rec.check(C.retryAfter, (r) => {
    if (!f || f.status !== 503) skip('no maintenance 503 to look at');
    r.cite(f.exchange);
    const ra = f.header('retry-after');
    expect(
      ra !== undefined && (/^\d+$/.test(ra) || !Number.isNaN(Date.parse(ra))),
      `Retry-After is ${JSON.stringify(ra)}`,
    );
  });
  await ctx.rec.check(C.maintenanceOauth, async () => {
    if (!inMaintenance) skip('no maintenance is in progress');
    const token =
      typeof ctx.metadata?.token_endpoint === 'string'
        ? ctx.metadata.token_endpoint
        : `${ctx.opts.base}/token`;
    if (![...affected].some((e) => token.startsWith(e) || e === token))
      skip('the running maintenance does not affect the token endpoint');
    const res = await ctx.probe.send({
      url: token,
      form: { grant_type: 'refresh_token', client_id: ctx.opts.clientId, refresh_token: 'kit' },
    });
    expect(res.status === 503, `HTTP ${res.status || res.error}, not 503`);
    if (!mentionsMaintenance(res)) fail('the answer does not say maintenance');
  });
}

async function run(ctx: KitContext): Promise<void> {
  const url = ctx.opts.statusUrl ?? `${ctx.opts.base}/service/status`;
  const feed = await feedChecks(ctx, url, ctx.opts.statusUrl !== undefined);
  await duringMaintenance(ctx, feed);
}

export const operationsGroup: Group = { name: 'operations', checks: C, run };
