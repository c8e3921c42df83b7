// Parses FHIR search parameters (GET query or POST _search form, already split into name/value pairs) into a
// store search. Unknown parameters, malformed values and invalid _include give a 400 naming the parameter;
// codes outside the token's grant and periods outside the historic range make the search empty with a warning.
import { LOINC, MGDL_PER_MMOLL, MIV_CODES, MIV_VALUESET, SNOMED, UCUM } from '../../gateway/hddt/codes.ts';
import type {
  DateCond,
  QuantityCond,
  SearchType,
  SortSpec,
  StoreSearch,
  StringCond,
} from '../../gateway/store/fhir-search.ts';
import { DateParamError, parseDateParam, splitPrefix } from './fhir-date.ts';
import { badRequest, type Issue } from './outcome.ts';

export type Miv = 'bloodGlucose' | 'cgm';

export interface SearchContext {
  nowMs: number;
  defaultCount: number;
  maxCount: number;
  /** The MIVs the token grants (its implicit code filter). */
  mivs: readonly Miv[];
  /** Oldest effective time served, across the granted MIVs (historic data period). */
  historicCutoffMs: number;
}

export interface Includes {
  /** _include=Observation:device */
  observationDevice: boolean;
  /** _include[:iterate]=DeviceMetric:source */
  metricSource: boolean;
}

export interface ParsedSearch {
  query: Omit<StoreSearch, 'scope' | 'cursor'>;
  includes: Includes;
  cursor?: string;
  warnings: Issue[];
  /** Known to match nothing (code outside the grant, period before the historic range): skip the store. */
  empty: boolean;
}

/** Parameters each type supports (besides the common ones); the CapabilityStatement is generated from this. */
export const SEARCH_PARAMS: Record<
  SearchType,
  Array<{ name: string; type: string; documentation: string }>
> = {
  Observation: [
    {
      name: 'code',
      type: 'token',
      documentation: 'LOINC code, with or without system; also code:in=<MIV ValueSet>',
    },
    {
      name: 'date',
      type: 'date',
      documentation: 'effective time; all R4 prefixes; dates without zone are UTC',
    },
    {
      name: 'value-quantity',
      type: 'quantity',
      documentation: 'blood glucose value, [prefix]number[|system|code]',
    },
    {
      name: 'valueQuantity',
      type: 'quantity',
      documentation: 'the same as value-quantity, spelt as the HDDT search parameter table writes it',
    },
  ],
  Device: [
    { name: 'device-name', type: 'string', documentation: 'Device.deviceName.name (:exact, :contains)' },
    { name: 'type', type: 'token', documentation: 'SNOMED CT device type' },
    { name: 'manufacturer', type: 'string', documentation: 'Device.manufacturer (:exact, :contains)' },
  ],
  DeviceMetric: [{ name: 'source', type: 'reference', documentation: 'the Device the metric belongs to' }],
};

export const COMMON_PARAMS = [
  { name: '_id', type: 'token', documentation: 'logical id' },
  { name: '_lastUpdated', type: 'date', documentation: 'meta.lastUpdated; all R4 prefixes' },
];

export const SORTS: Record<SearchType, string[]> = {
  Observation: ['date', '-date', '_lastUpdated', '-_lastUpdated', '_id', '-_id'],
  Device: ['_lastUpdated', '-_lastUpdated', '_id', '-_id'],
  DeviceMetric: ['_lastUpdated', '-_lastUpdated', '_id', '-_id'],
};

export const INCLUDES: Record<SearchType, { include: string[]; iterate: string[] }> = {
  Observation: { include: ['Observation:device'], iterate: ['DeviceMetric:source'] },
  Device: { include: [], iterate: [] },
  DeviceMetric: { include: ['DeviceMetric:source'], iterate: ['DeviceMetric:source'] },
};

const IGNORED = new Set(['_format', '_pretty']);
/** Other spellings of a parameter, by type: HDDT's table writes `valueQuantity` for R4's `value-quantity`. */
const ALIASES: Partial<Record<SearchType, ReadonlyMap<string, string>>> = {
  Observation: new Map([['valueQuantity', 'value-quantity']]),
};
const UNIT_ALIASES: Record<string, string> = { 'mg/dl': 'mg/dL', 'mmol/l': 'mmol/L' };
const NUMBER_RE = /^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/;
const ID_RE = /^[A-Za-z0-9\-.]{1,64}$/;

/** Splits a comma-separated OR list, honouring `\,` escapes. */
export function splitOr(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && i + 1 < value.length) {
      cur += value[++i];
    } else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function token(value: string): { system: string | null | undefined; code: string | undefined } {
  const bar = value.indexOf('|');
  if (bar < 0) return { system: undefined, code: value };
  const system = value.slice(0, bar);
  const code = value.slice(bar + 1);
  return { system: system === '' ? null : system, code: code === '' ? undefined : code };
}

function quantity(name: string, value: string): QuantityCond {
  const { prefix, rest } = splitPrefix(value);
  const [num, system, code, ...extra] = rest.split('|');
  if (!NUMBER_RE.test(num) || extra.length > 0) {
    throw badRequest(`Invalid value '${value}' for search parameter ${name}`, name, 'invalid');
  }
  if (system !== undefined && system !== '' && system !== UCUM) {
    throw badRequest(`Unsupported unit system '${system}' for search parameter ${name}`, name, 'invalid');
  }
  const v = Number(num);
  const decimals = /\.(\d+)/.exec(num)?.[1].length ?? 0;
  const half = prefix === 'ap' ? Math.abs(v) * 0.1 : 0.5 * 10 ** -decimals;
  const range = (x: number, h: number) => ({ v: x, lo: x - h, hi: x + h });
  if (code === undefined || code === '') return { prefix, ranges: [{ unit: null, ...range(v, half) }] };
  const unit = UNIT_ALIASES[code.toLowerCase()] ?? code;
  if (unit === 'mg/dL') {
    return {
      prefix,
      ranges: [
        { unit: 'mg/dL', ...range(v, half) },
        { unit: 'mmol/L', ...range(v / MGDL_PER_MMOLL, half / MGDL_PER_MMOLL) },
      ],
    };
  }
  if (unit === 'mmol/L') {
    return {
      prefix,
      ranges: [
        { unit: 'mmol/L', ...range(v, half) },
        { unit: 'mg/dL', ...range(v * MGDL_PER_MMOLL, half * MGDL_PER_MMOLL) },
      ],
    };
  }
  return { prefix, ranges: [{ unit, ...range(v, half) }] };
}

function stringConds(name: string, modifier: string | undefined, value: string): StringCond[] {
  const mode =
    modifier === undefined
      ? 'starts'
      : modifier === 'exact'
        ? 'exact'
        : modifier === 'contains'
          ? 'contains'
          : null;
  if (mode === null) throw badRequest(`Unknown search parameter ${name}:${modifier}`, `${name}:${modifier}`);
  return splitOr(value).map((v) => ({ value: v, mode }));
}

/** Parses one search; throws FhirError (400) for anything the server cannot honour exactly. */
export function parseSearch(
  type: SearchType,
  params: ReadonlyArray<readonly [string, string]>,
  ctx: SearchContext,
): ParsedSearch {
  const granted = new Set<string>(ctx.mivs.flatMap((m) => MIV_CODES[m]));
  const grantedSets = ctx.mivs.map((m) => MIV_VALUESET[m]).join(', ') || 'none';
  const query: ParsedSearch['query'] = {
    type,
    sort: { key: type === 'Observation' ? 'date' : 'id', desc: false },
    count: ctx.defaultCount,
  };
  const includes: Includes = { observationDevice: false, metricSource: false };
  const warnings: Issue[] = [];
  let empty = false;
  let cursor: string | undefined;
  let sortSeen = false;
  let countSeen = false;
  const allowed = new Set(SEARCH_PARAMS[type].map((p) => p.name));

  const dates = (name: string, value: string): DateCond => {
    try {
      return parseDateParam(value, ctx.nowMs);
    } catch (err) {
      if (err instanceof DateParamError) {
        throw badRequest(
          `Invalid date '${value}' for search parameter ${name}: ${err.message}`,
          name,
          'invalid',
        );
      }
      throw err;
    }
  };

  for (const [rawName, value] of params) {
    const [given, modifier] = rawName.split(':', 2) as [string, string | undefined];
    const name = ALIASES[type]?.get(given) ?? given;
    const base = name.split('.')[0];
    if (IGNORED.has(rawName)) continue;
    if (base === 'subject' || base === 'patient') {
      throw badRequest(
        `Search parameter ${rawName} is not allowed: the patient is implied by the access token`,
        rawName,
      );
    }
    if (rawName === '_cursor') {
      cursor = value;
      continue;
    }
    if (rawName === '_count') {
      if (countSeen || !/^\d{1,6}$/.test(value))
        throw badRequest(`Invalid value '${value}' for _count`, '_count', 'invalid');
      countSeen = true;
      query.count = Math.min(Number(value), ctx.maxCount);
      continue;
    }
    if (rawName === '_sort') {
      if (sortSeen || !SORTS[type].includes(value)) {
        throw badRequest(
          `Unsupported _sort '${value}' for ${type}; supported: ${SORTS[type].join(', ')}`,
          '_sort',
        );
      }
      sortSeen = true;
      const desc = value.startsWith('-');
      const key = value.replace(/^-/, '');
      const sort: SortSpec = {
        key: key === 'date' ? 'date' : key === '_lastUpdated' ? 'lastUpdated' : 'id',
        desc,
      };
      query.sort = sort;
      continue;
    }
    if (name === '_include') {
      const iterate = modifier === 'iterate' || modifier === 'recurse';
      if (modifier !== undefined && !iterate)
        throw badRequest(`Invalid _include modifier '${modifier}'`, rawName);
      const spec = value.split(':').slice(0, 2).join(':');
      const target = value.split(':')[2];
      const list = iterate ? INCLUDES[type].iterate : INCLUDES[type].include;
      const targetOk =
        target === undefined ||
        (spec === 'Observation:device' && (target === 'Device' || target === 'DeviceMetric')) ||
        (spec === 'DeviceMetric:source' && target === 'Device');
      if (!list.includes(spec) || !targetOk) {
        throw badRequest(`Invalid ${rawName} '${value}' for ${type} search`, rawName);
      }
      if (spec === 'Observation:device') includes.observationDevice = true;
      else includes.metricSource = true;
      continue;
    }
    if (name === '_revinclude') throw badRequest(`Invalid _revinclude '${value}': not supported`, rawName);
    if (rawName === '_id') {
      const ids = splitOr(value);
      if (ids.some((id) => !ID_RE.test(id))) throw badRequest(`Invalid _id '${value}'`, '_id', 'invalid');
      (query.ids ??= []).push(ids);
      continue;
    }
    if (rawName === '_lastUpdated') {
      (query.lastUpdated ??= []).push(dates('_lastUpdated', value));
      continue;
    }
    if (!allowed.has(name)) throw badRequest(`Unknown search parameter ${rawName}`, rawName);

    if (type === 'Observation' && name === 'code') {
      let codes: string[];
      if (modifier === 'in') {
        const sets = splitOr(value);
        codes = sets.flatMap((vs) => {
          const miv = (Object.keys(MIV_VALUESET) as Miv[]).find((m) => MIV_VALUESET[m] === vs.split('|')[0]);
          if (!miv) {
            warnings.push({
              severity: 'warning',
              code: 'processing',
              diagnostics: `ValueSet ${vs} is not supported`,
            });
            return [];
          }
          return MIV_CODES[miv];
        });
      } else if (modifier === undefined) {
        codes = splitOr(value).flatMap((v) => {
          const t = token(v);
          if (t.system !== undefined && t.system !== LOINC) return [];
          if (t.code === undefined) return [...granted];
          return [t.code];
        });
      } else {
        throw badRequest(`Unknown search parameter ${rawName}`, rawName);
      }
      const inGrant = codes.filter((c) => granted.has(c));
      for (const c of codes) {
        if (!granted.has(c)) {
          warnings.push({
            severity: 'warning',
            code: 'processing',
            diagnostics: `Code ${c} not in ValueSet ${grantedSets}`,
          });
        }
      }
      if (inGrant.length === 0) empty = true;
      (query.codes ??= []).push(inGrant.length ? inGrant : ['']);
      continue;
    }
    if (type === 'Observation' && name === 'date' && modifier === undefined) {
      (query.dates ??= []).push(dates('date', value));
      continue;
    }
    if (type === 'Observation' && name === 'value-quantity' && modifier === undefined) {
      (query.values ??= []).push(quantity(rawName, value));
      continue;
    }
    if (type === 'Device' && name === 'device-name') {
      (query.deviceNames ??= []).push(stringConds(name, modifier, value));
      continue;
    }
    if (type === 'Device' && name === 'manufacturer') {
      (query.manufacturers ??= []).push(stringConds(name, modifier, value));
      continue;
    }
    if (type === 'Device' && name === 'type' && modifier === undefined) {
      const codes = splitOr(value).flatMap((v) => {
        const t = token(v);
        if (t.system !== undefined && t.system !== SNOMED) return [];
        return t.code === undefined ? [] : [t.code];
      });
      (query.types ??= []).push(codes.length ? codes : ['']);
      continue;
    }
    if (type === 'DeviceMetric' && name === 'source' && (modifier === undefined || modifier === 'Device')) {
      const ids = splitOr(value).map((v) => v.replace(/^.*\bDevice\//, ''));
      if (ids.some((id) => !ID_RE.test(id)))
        throw badRequest(`Invalid reference '${value}' for source`, 'source', 'invalid');
      (query.sources ??= []).push(ids);
      continue;
    }
    throw badRequest(`Unknown search parameter ${rawName}`, rawName);
  }

  // A period that ends before the oldest data served can match nothing.
  if (type === 'Observation' && query.dates) {
    const upper = Math.min(
      ...query.dates.map((d) =>
        d.prefix === 'lt' || d.prefix === 'eb'
          ? d.lo
          : d.prefix === 'le' || d.prefix === 'eq'
            ? d.hi
            : Infinity,
      ),
    );
    if (upper <= ctx.historicCutoffMs) {
      empty = true;
      warnings.push({
        severity: 'warning',
        code: 'processing',
        diagnostics:
          'Search includes a time range which is outside the historical time range of this service. Potentially no matches found.',
      });
    }
  }
  return { query, includes, cursor, warnings, empty };
}
