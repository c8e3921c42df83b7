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
import { ID_PATTERN } from './schemas.ts';

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
const ID_RE = new RegExp(ID_PATTERN);

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

function dateCond(name: string, value: string, nowMs: number): DateCond {
  try {
    return parseDateParam(value, nowMs);
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
}

/** One search being parsed: the parameters are applied in order, each by the first rule that claims it. */
class SearchParser {
  readonly query: ParsedSearch['query'];
  readonly includes: Includes = { observationDevice: false, metricSource: false };
  readonly warnings: Issue[] = [];
  empty = false;
  cursor: string | undefined;
  private sortSeen = false;
  private countSeen = false;
  private readonly granted: Set<string>;
  private readonly allowed: Set<string>;

  readonly type: SearchType;
  readonly ctx: SearchContext;

  constructor(type: SearchType, ctx: SearchContext) {
    this.type = type;
    this.ctx = ctx;
    this.granted = new Set<string>(ctx.mivs.flatMap((m) => MIV_CODES[m]));
    this.allowed = new Set(SEARCH_PARAMS[type].map((p) => p.name));
    this.query = {
      type,
      sort: { key: type === 'Observation' ? 'date' : 'id', desc: false },
      count: ctx.defaultCount,
    };
  }

  apply(rawName: string, value: string): void {
    const [given, modifier] = rawName.split(':', 2) as [string, string | undefined];
    const name = ALIASES[this.type]?.get(given) ?? given;
    const base = name.split('.')[0];
    if (IGNORED.has(rawName)) return;
    if (base === 'subject' || base === 'patient') {
      throw badRequest(
        `Search parameter ${rawName} is not allowed: the patient is implied by the access token`,
        rawName,
      );
    }
    if (this.control(rawName, name, modifier, value)) return;
    if (!this.allowed.has(name)) throw badRequest(`Unknown search parameter ${rawName}`, rawName);
    if (this.type === 'Observation' && name === 'code') return this.code(rawName, modifier, value);
    if (!this.typeParam(rawName, name, modifier, value)) {
      throw badRequest(`Unknown search parameter ${rawName}`, rawName);
    }
  }

  /** The parameters of every type (_cursor, _count, _sort, _include, _id, _lastUpdated); false if not one. */
  private control(rawName: string, name: string, modifier: string | undefined, value: string): boolean {
    if (rawName === '_cursor') this.cursor = value;
    else if (rawName === '_count') this.count(value);
    else if (rawName === '_sort') this.sort(value);
    else if (name === '_include') this.include(rawName, modifier, value);
    else if (name === '_revinclude') {
      throw badRequest(`Invalid _revinclude '${value}': not supported`, rawName);
    } else if (rawName === '_id') {
      const ids = splitOr(value);
      if (ids.some((id) => !ID_RE.test(id))) throw badRequest(`Invalid _id '${value}'`, '_id', 'invalid');
      (this.query.ids ??= []).push(ids);
    } else if (rawName === '_lastUpdated') {
      (this.query.lastUpdated ??= []).push(dateCond('_lastUpdated', value, this.ctx.nowMs));
    } else return false;
    return true;
  }

  private count(value: string): void {
    if (this.countSeen || !/^\d{1,6}$/.test(value))
      throw badRequest(`Invalid value '${value}' for _count`, '_count', 'invalid');
    this.countSeen = true;
    this.query.count = Math.min(Number(value), this.ctx.maxCount);
  }

  private sort(value: string): void {
    const sorts = SORTS[this.type];
    if (this.sortSeen || !sorts.includes(value)) {
      throw badRequest(
        `Unsupported _sort '${value}' for ${this.type}; supported: ${sorts.join(', ')}`,
        '_sort',
      );
    }
    this.sortSeen = true;
    const key = value.replace(/^-/, '');
    const sort: SortSpec = {
      key: key === 'date' ? 'date' : key === '_lastUpdated' ? 'lastUpdated' : 'id',
      desc: value.startsWith('-'),
    };
    this.query.sort = sort;
  }

  private include(rawName: string, modifier: string | undefined, value: string): void {
    const iterate = modifier === 'iterate' || modifier === 'recurse';
    if (modifier !== undefined && !iterate)
      throw badRequest(`Invalid _include modifier '${modifier}'`, rawName);
    const spec = value.split(':').slice(0, 2).join(':');
    const target = value.split(':')[2];
    const list = iterate ? INCLUDES[this.type].iterate : INCLUDES[this.type].include;
    const targetOk =
      target === undefined ||
      (spec === 'Observation:device' && (target === 'Device' || target === 'DeviceMetric')) ||
      (spec === 'DeviceMetric:source' && target === 'Device');
    if (!list.includes(spec) || !targetOk) {
      throw badRequest(`Invalid ${rawName} '${value}' for ${this.type} search`, rawName);
    }
    if (spec === 'Observation:device') this.includes.observationDevice = true;
    else this.includes.metricSource = true;
  }

  /** Observation code (or code:in a MIV ValueSet): codes outside the grant warn and match nothing. */
  private code(rawName: string, modifier: string | undefined, value: string): void {
    let codes: string[];
    if (modifier === 'in') {
      codes = splitOr(value).flatMap((vs) => {
        const miv = (Object.keys(MIV_VALUESET) as Miv[]).find((m) => MIV_VALUESET[m] === vs.split('|')[0]);
        if (miv) return MIV_CODES[miv];
        this.warn(`ValueSet ${vs} is not supported`);
        return [];
      });
    } else if (modifier === undefined) {
      codes = splitOr(value).flatMap((v) => {
        const t = token(v);
        if (t.system !== undefined && t.system !== LOINC) return [];
        if (t.code === undefined) return [...this.granted];
        return [t.code];
      });
    } else {
      throw badRequest(`Unknown search parameter ${rawName}`, rawName);
    }
    const grantedSets = this.ctx.mivs.map((m) => MIV_VALUESET[m]).join(', ') || 'none';
    const inGrant = codes.filter((c) => this.granted.has(c));
    for (const c of codes) if (!this.granted.has(c)) this.warn(`Code ${c} not in ValueSet ${grantedSets}`);
    if (inGrant.length === 0) this.empty = true;
    (this.query.codes ??= []).push(inGrant.length ? inGrant : ['']);
  }

  /** The type's own parameters besides Observation code; false when none of them matches. */
  private typeParam(rawName: string, name: string, modifier: string | undefined, value: string): boolean {
    const { type, query } = this;
    if (type === 'Observation' && name === 'date' && modifier === undefined) {
      (query.dates ??= []).push(dateCond('date', value, this.ctx.nowMs));
    } else if (type === 'Observation' && name === 'value-quantity' && modifier === undefined) {
      (query.values ??= []).push(quantity(rawName, value));
    } else if (type === 'Device' && name === 'device-name') {
      (query.deviceNames ??= []).push(stringConds(name, modifier, value));
    } else if (type === 'Device' && name === 'manufacturer') {
      (query.manufacturers ??= []).push(stringConds(name, modifier, value));
    } else if (type === 'Device' && name === 'type' && modifier === undefined) {
      const codes = splitOr(value).flatMap((v) => {
        const t = token(v);
        if (t.system !== undefined && t.system !== SNOMED) return [];
        return t.code === undefined ? [] : [t.code];
      });
      (query.types ??= []).push(codes.length ? codes : ['']);
    } else if (
      type === 'DeviceMetric' &&
      name === 'source' &&
      (modifier === undefined || modifier === 'Device')
    ) {
      const ids = splitOr(value).map((v) => v.replace(/^.*\bDevice\//, ''));
      if (ids.some((id) => !ID_RE.test(id)))
        throw badRequest(`Invalid reference '${value}' for source`, 'source', 'invalid');
      (query.sources ??= []).push(ids);
    } else return false;
    return true;
  }

  private warn(diagnostics: string): void {
    this.warnings.push({ severity: 'warning', code: 'processing', diagnostics });
  }

  /** A period that ends before the oldest data served can match nothing. */
  checkHistoricRange(): void {
    if (this.type !== 'Observation' || !this.query.dates) return;
    const upper = Math.min(
      ...this.query.dates.map((d) =>
        d.prefix === 'lt' || d.prefix === 'eb'
          ? d.lo
          : d.prefix === 'le' || d.prefix === 'eq'
            ? d.hi
            : Infinity,
      ),
    );
    if (upper <= this.ctx.historicCutoffMs) {
      this.empty = true;
      this.warn(
        'Search includes a time range which is outside the historical time range of this service. Potentially no matches found.',
      );
    }
  }
}

/** Parses one search; throws FhirError (400) for anything the server cannot honour exactly. */
export function parseSearch(
  type: SearchType,
  params: ReadonlyArray<readonly [string, string]>,
  ctx: SearchContext,
): ParsedSearch {
  const p = new SearchParser(type, ctx);
  for (const [rawName, value] of params) p.apply(rawName, value);
  p.checkHistoricRange();
  return { query: p.query, includes: p.includes, cursor: p.cursor, warnings: p.warnings, empty: p.empty };
}
