// $hddt-cgm-summary (spec/hddt.md §2.6): Parameters in (effectivePeriodStart/End, related), a collection
// Bundle of HL7 CGM summary Observations out, computed at request time from the CGM chunks the token may
// see. Errors and empty results are OperationOutcomes with the HDDT codes; the subject is the Pairing ID.
import { randomUUID } from 'node:crypto';
import { cgmMetrics, samplesOfChunks, type CgmMetrics } from '../../gateway/hddt/cgm-metrics.ts';
import { LOINC, MIV_CODES, UCUM } from '../../gateway/hddt/codes.ts';
import { cgmChunksInRange, resolveReference, type SearchScope } from '../../gateway/store/fhir-search.ts';
import type { Store } from '../../gateway/store/store.ts';
import { CGM_SUMMARY_BUNDLE_PROFILE } from './capability.ts';
import { dateRange, DateParamError } from './fhir-date.ts';
import { FhirError } from './outcome.ts';

const DAY = 86_400_000;
export const MIN_PERIOD_MS = 7 * DAY;
const CGM_PROFILE = 'http://hl7.org/fhir/uv/cgm/StructureDefinition';
const DATETIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export type SummaryErrorCode = 'MSG_PARAM_UNKNOWN' | 'MSG_PARAM_INVALID' | 'MSG_NO_MATCH' | 'MSG_BAD_SYNTAX';

export function summaryError(code: SummaryErrorCode, text: string): FhirError {
  if (code === 'MSG_NO_MATCH') {
    return new FhirError(404, {
      severity: 'information',
      code: 'not-found',
      detailCode: code,
      detailText: text,
    });
  }
  return new FhirError(400, { severity: 'error', code: 'invalid', detailCode: code, detailText: text });
}

export interface SummaryRequest {
  effectivePeriodStart?: string;
  effectivePeriodEnd?: string;
  related: boolean;
}

/** Reads the operation's Parameters resource (JSON shape; XML is converted to it first). */
export function parseSummaryParameters(body: unknown): SummaryRequest {
  if (body === undefined || body === null || (typeof body === 'string' && body.trim() === ''))
    return { related: false };
  if (typeof body !== 'object' || (body as { resourceType?: unknown }).resourceType !== 'Parameters') {
    throw summaryError('MSG_BAD_SYNTAX', 'The request body must be a FHIR Parameters resource.');
  }
  const params = (body as { parameter?: unknown }).parameter ?? [];
  if (!Array.isArray(params)) throw summaryError('MSG_BAD_SYNTAX', 'Parameters.parameter must be an array.');
  const out: SummaryRequest = { related: false };
  const seen = new Set<string>();
  for (const p of params as Array<Record<string, unknown>>) {
    const name = p?.name;
    if (typeof name !== 'string') throw summaryError('MSG_BAD_SYNTAX', 'Every parameter needs a name.');
    if (seen.has(name))
      throw summaryError('MSG_PARAM_INVALID', `Parameter '${name}' is given more than once.`);
    seen.add(name);
    if (name === 'effectivePeriodStart' || name === 'effectivePeriodEnd') {
      const v = p.valueDateTime;
      if (typeof v !== 'string' || !DATETIME_RE.test(v)) {
        throw summaryError('MSG_PARAM_INVALID', `Invalid date format in ${name}.`);
      }
      try {
        dateRange(v);
      } catch (err) {
        if (err instanceof DateParamError)
          throw summaryError('MSG_PARAM_INVALID', `Invalid date format in ${name}.`);
        throw err;
      }
      out[name] = v;
    } else if (name === 'related') {
      const v = p.valueBoolean;
      // The XML converter yields "true"/"false" strings.
      if (v === true || v === 'true') out.related = true;
      else if (v === false || v === 'false') out.related = false;
      else throw summaryError('MSG_PARAM_INVALID', 'Parameter related must be a boolean.');
    } else {
      throw summaryError('MSG_PARAM_UNKNOWN', `Unknown input parameter '${String(name).slice(0, 64)}'.`);
    }
  }
  return out;
}

export interface SummaryContext {
  store: Store;
  scope: SearchScope;
  pairingId: string;
  nowMs: number;
  /** Oldest time served (historic data period of the CGM MIV). */
  historicCutoffMs: number;
  baseUrl: string;
}

/** The report period: end defaults to now, start to end − 7 days; shorter periods are refused. */
export function summaryPeriod(req: SummaryRequest, nowMs: number): { fromMs: number; toMs: number } {
  const toMs = req.effectivePeriodEnd ? Date.parse(req.effectivePeriodEnd) : nowMs;
  const fromMs = req.effectivePeriodStart ? Date.parse(req.effectivePeriodStart) : toMs - MIN_PERIOD_MS;
  if (fromMs >= toMs)
    throw summaryError('MSG_PARAM_INVALID', 'effectivePeriodStart must be before effectivePeriodEnd.');
  if (toMs - fromMs < MIN_PERIOD_MS) {
    throw summaryError('MSG_PARAM_INVALID', 'The report period must cover at least 7 days.');
  }
  return { fromMs, toMs };
}

function quantity(value: number, unit: string, code: string) {
  return { value, unit, system: UCUM, code };
}

/** Computes the summary Bundle, or throws the HDDT OperationOutcome (MSG_NO_MATCH when there is no data). */
export function cgmSummary(ctx: SummaryContext, req: SummaryRequest): Record<string, unknown> {
  const { fromMs, toMs } = summaryPeriod(req, ctx.nowMs);
  const from = Math.max(fromMs, ctx.historicCutoffMs);
  const chunks = from < toMs ? cgmChunksInRange(ctx.store, ctx.scope, MIV_CODES.cgm, from, toMs) : [];
  const { samples, intervalMs, deviceRefs: metricRefs } = samplesOfChunks(chunks);
  const metrics = cgmMetrics({ samples, fromMs, toMs, intervalMs });
  if (!metrics)
    throw summaryError('MSG_NO_MATCH', 'No CGM summary observations found for the given effective period.');
  const bundle = summaryBundle(metrics, {
    pairingId: ctx.pairingId,
    start: new Date(fromMs).toISOString(),
    end: new Date(toMs).toISOString(),
    nowMs: ctx.nowMs,
  });
  if (req.related) {
    const devices = new Map<string, Record<string, unknown>>();
    for (const ref of metricRefs) {
      const target = resolveReference(ctx.store, ref, ctx.scope);
      const deviceRef =
        target?.type === 'DeviceMetric'
          ? target.ref
          : target?.type === 'Device'
            ? `Device/${target.id}`
            : null;
      if (!deviceRef || devices.has(deviceRef)) continue;
      const device = resolveReference(ctx.store, deviceRef, ctx.scope);
      if (device) {
        devices.set(deviceRef, {
          fullUrl: `${ctx.baseUrl}/${deviceRef}`,
          resource: JSON.parse(device.json) as unknown,
        });
      }
    }
    (bundle.entry as unknown[]).push(...devices.values());
  }
  return bundle;
}

/** The collection Bundle of the summary and its six (seven with mmol/L) member Observations. */
export function summaryBundle(
  m: CgmMetrics,
  opts: { pairingId: string; start: string; end: string; nowMs: number },
): Record<string, unknown> {
  const common = (profile: string, code: string) => ({
    resourceType: 'Observation',
    meta: { profile: [`${CGM_PROFILE}/${profile}`] },
    status: 'final',
    category: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' },
        ],
      },
    ],
    code: { coding: [{ system: LOINC, code }] },
    subject: { reference: `Patient/${opts.pairingId}` },
    effectivePeriod: { start: opts.start, end: opts.end },
  });
  const tir = m.timesInRanges;
  const component = (code: string, value: number) => ({
    code: { coding: [{ system: LOINC, code }] },
    valueQuantity: quantity(value, '%', '%'),
  });
  const members: Array<Record<string, unknown>> = [
    {
      ...common('cgm-summary-mean-glucose-mass-per-volume', '97507-8'),
      valueQuantity: quantity(m.meanMgdl, 'mg/dl', 'mg/dL'),
    },
    {
      ...common('cgm-summary-mean-glucose-moles-per-volume', '105273-7'),
      valueQuantity: quantity(m.meanMmoll, 'mmol/l', 'mmol/L'),
    },
    {
      ...common('cgm-summary-times-in-ranges', '106793-3'),
      component: [
        component('104642-4', tir.veryLow),
        component('104641-6', tir.low),
        component('97510-2', tir.target),
        component('104640-8', tir.high),
        component('104639-0', tir.veryHigh),
      ],
    },
    { ...common('cgm-summary-gmi', '97506-0'), valueQuantity: quantity(m.gmiPercent, '%', '%') },
    {
      ...common('cgm-summary-coefficient-of-variation', '104638-2'),
      valueQuantity: quantity(m.cvPercent, '%', '%'),
    },
    { ...common('cgm-summary-days-of-wear', '104636-6'), valueQuantity: quantity(m.daysOfWear, 'days', 'd') },
    {
      ...common('cgm-summary-sensor-active-percentage', '104637-4'),
      valueQuantity: quantity(m.sensorActivePercent, '%', '%'),
    },
  ];
  const urls = members.map(() => `urn:uuid:${randomUUID()}`);
  const summary = {
    ...common('cgm-summary', '107931-8'),
    hasMember: urls.map((reference) => ({ reference })),
  };
  return {
    resourceType: 'Bundle',
    meta: { profile: [CGM_SUMMARY_BUNDLE_PROFILE] },
    type: 'collection',
    timestamp: new Date(opts.nowMs).toISOString(),
    entry: [
      { fullUrl: `urn:uuid:${randomUUID()}`, resource: summary },
      ...members.map((resource, i) => ({ fullUrl: urls[i], resource })),
    ],
  };
}
