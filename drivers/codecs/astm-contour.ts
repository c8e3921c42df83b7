// Bayer/Ascensia Contour meaning of E1394 header, result and terminator records (spec D.3, after
// glucometerutils' contourusb and Tidepool's bayerContour). Meter times are local wall time YYYYMMDDHHMM.
import { CodecError } from './codec-error.ts';
import type { AstmDelimiters, AstmRecord } from './astm-record.ts';
import { ASTM_DEFAULT_DELIMITERS, decodeAstmRecord, encodeAstmRecord, unescapeAstm } from './astm-record.ts';

export type ContourUnit = 'mg/dL' | 'mmol/L';

export interface ContourHeader {
  /** Product code, e.g. `Bayer7390` (Contour USB). */
  product: string;
  /** Firmware versions, e.g. `['01.24', '01.04', '09.02.20']`. */
  versions: string[];
  serial: string;
  sku: string;
  /** The access password / session field (third header field), kept as sent. */
  password: string;
  /** `A=1^C=63^…` as key → value. */
  config: Record<string, string>;
  /** From `U=`: 0 mg/dL, 1 mmol/L. */
  unit: ContourUnit;
  /** From `V=LLHHH`: the meter's measuring range (values outside show as `<`/`>`). */
  range?: { low: number; high: number };
  /** Number of result records that follow. */
  recordCount: number;
  specVersion: string;
  /** Meter clock as sent (`YYYYMMDDHHMM`). */
  meterTime: string;
  /** Meter clock as `YYYY-MM-DDTHH:MM:SS`. */
  localTime: string;
}

export type ContourMethod = 'plasma' | 'whole-blood' | 'capillary' | 'other';

export interface ContourResult {
  sequence: number;
  analyte: string;
  /** In `unit`; for `<`/`>` results the range limit the meter printed. */
  value: number;
  /** The value exactly as sent (keeps mmol/L decimals). */
  valueText: string;
  unit: ContourUnit;
  method: ContourMethod;
  /** `<` below range, `>` above range, `T` temperature warning. */
  annotations: string[];
  /** `B` before meal, `A` after meal, `D` logbook, others as sent. */
  marks: string[];
  control: boolean;
  flag?: 'low' | 'high';
  meterTime: string;
  localTime: string;
}

const METHODS: Record<string, ContourMethod> = { P: 'plasma', B: 'whole-blood', C: 'capillary', D: 'other' };
const METHOD_CODES: Record<ContourMethod, string> = {
  plasma: 'P',
  'whole-blood': 'B',
  capillary: 'C',
  other: 'D',
};

function malformed(what: string): CodecError {
  return new CodecError('ERR_MALFORMED', what);
}

/** `YYYYMMDDHHMM` or `YYYYMMDDHHMMSS` → `YYYY-MM-DDTHH:MM:SS`, calendar-checked. */
export function contourLocalTime(meterTime: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?$/.exec(meterTime);
  if (!m) throw malformed(`Contour time ${JSON.stringify(meterTime.slice(0, 20))} is not YYYYMMDDHHMM`);
  const [y, mo, d, h, mi] = m.slice(1, 6).map(Number);
  const s = m[6] ? Number(m[6]) : 0;
  const dim = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || d < 1 || d > dim || h > 23 || mi > 59 || s > 59) {
    throw new CodecError('ERR_OUT_OF_RANGE', `Contour time ${meterTime} is not a valid date`);
  }
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}`;
}

/** `YYYY-MM-DDTHH:MM:SS` → `YYYYMMDDHHMM` (seconds are dropped: the meter keeps minutes). */
export function contourMeterTime(localTime: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(localTime);
  if (!m)
    throw new CodecError(
      'ERR_INVALID_ARGUMENT',
      `localTime ${JSON.stringify(localTime)} is not YYYY-MM-DDTHH:MM:SS`,
    );
  const t = m.slice(1, 6).join('');
  contourLocalTime(t);
  return t;
}

function asRecord(input: string | AstmRecord, d: AstmDelimiters): AstmRecord {
  return typeof input === 'string' ? decodeAstmRecord(input, d) : input;
}

// ---- header -------------------------------------------------------------------------------------------------

export function decodeContourHeader(input: string | AstmRecord): ContourHeader {
  const rec = asRecord(input, ASTM_DEFAULT_DELIMITERS);
  if (rec.type !== 'H') throw malformed(`expected a header record, got ${rec.type}`);
  const def = rec.fields[1];
  const d: AstmDelimiters = { field: '|', repeat: def[0], component: def[1], escape: def[2] };
  if (rec.fields.length < 14) throw malformed(`Contour header has ${rec.fields.length} fields, expected 14`);
  // Sender name: product ^ versions (repeat-separated) ^ serial ^ sku.
  const sender = rec.fields[4].split(d.component).map((c) => c);
  if (sender.length < 3 || sender[0] === '' || sender[2] === '') {
    throw malformed('Contour header sender field is not product^versions^serial^sku');
  }
  const config: Record<string, string> = {};
  for (const item of rec.fields[5].split(d.component)) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq < 1) throw malformed(`Contour header config item ${JSON.stringify(item.slice(0, 30))} is not K=V`);
    config[item.slice(0, eq)] = unescapeAstm(item.slice(eq + 1), d);
  }
  let unit: ContourUnit;
  if (config.U === '0') unit = 'mg/dL';
  else if (config.U === '1') unit = 'mmol/L';
  else throw malformed(`Contour header unit U=${JSON.stringify(config.U ?? null)} is not 0 or 1`);
  let range: ContourHeader['range'];
  if (config.V !== undefined) {
    const v = /^(\d{2})(\d{3})$/.exec(config.V);
    if (!v) throw malformed(`Contour header range V=${JSON.stringify(config.V)} is not LLHHH`);
    range = { low: Number(v[1]), high: Number(v[2]) };
  }
  const countText = rec.fields[6];
  if (!/^\d{1,6}$/.test(countText))
    throw malformed(`Contour header record count ${JSON.stringify(countText)}`);
  const meterTime = rec.fields[13];
  const header: ContourHeader = {
    product: unescapeAstm(sender[0], d),
    versions: sender[1].split(d.repeat).map((v) => unescapeAstm(v, d)),
    serial: unescapeAstm(sender[2], d),
    sku: unescapeAstm(sender[3] ?? '', d),
    password: rec.fields[3],
    config,
    unit,
    recordCount: Number(countText),
    specVersion: rec.fields[12],
    meterTime,
    localTime: contourLocalTime(meterTime),
  };
  if (range) header.range = range;
  return header;
}

export interface ContourHeaderFields {
  product: string;
  versions: string[];
  serial: string;
  sku: string;
  password: string;
  config: Record<string, string>;
  recordCount: number;
  specVersion: string;
  meterTime: string;
}

export function encodeContourHeader(h: ContourHeaderFields): string {
  contourLocalTime(h.meterTime);
  if (!Number.isInteger(h.recordCount) || h.recordCount < 0 || h.recordCount > 999999) {
    throw new CodecError('ERR_OUT_OF_RANGE', `record count ${h.recordCount}`);
  }
  const plain = /^[0-9A-Za-z.\-= ]*$/;
  for (const v of [h.product, h.serial, h.sku, h.password, h.specVersion, ...h.versions]) {
    if (!plain.test(v))
      throw new CodecError('ERR_INVALID_ARGUMENT', `header text ${JSON.stringify(v)} needs escaping`);
  }
  const config = Object.entries(h.config).map(([k, v]) => {
    if (!/^[A-Za-z]$/.test(k) || !plain.test(v))
      throw new CodecError('ERR_INVALID_ARGUMENT', `config ${k}=${v}`);
    return `${k}=${v}`;
  });
  const fields = [
    'H',
    '\\^&',
    '',
    h.password,
    `${h.product}^${h.versions.join('\\')}^${h.serial}^${h.sku}`,
    config.join('^'),
    String(h.recordCount),
    '',
    '',
    '',
    '',
    '',
    h.specVersion,
    h.meterTime,
  ];
  return encodeAstmRecord({ type: 'H', fields });
}

// ---- result -------------------------------------------------------------------------------------------------

/**
 * Two layouts are known:
 *  long (Tidepool, serial Contour): R|n|^^^Glucose|value|unit^method|range|annotations|marks|control|||time
 *  short (glucometerutils, Contour USB): R|n|^^^Glucose|value|unit^method||markers||time, markers `/`-separated
 */
export function decodeContourResult(
  input: string | AstmRecord,
  d: AstmDelimiters = ASTM_DEFAULT_DELIMITERS,
): ContourResult {
  const rec = asRecord(input, d);
  if (rec.type !== 'R') throw malformed(`expected a result record, got ${rec.type}`);
  const f = rec.fields;
  if (f.length !== 12 && f.length !== 9)
    throw malformed(`Contour result has ${f.length} fields, expected 12 or 9`);
  if (!/^\d{1,6}$/.test(f[1])) throw malformed(`Contour result sequence ${JSON.stringify(f[1])}`);
  const test = f[2].split(d.component);
  const analyte = unescapeAstm(test[test.length - 1], d);
  if (analyte === '') throw malformed('Contour result has no analyte');
  const valueText = f[3];
  if (!/^\d{1,4}(\.\d{1,3})?$/.test(valueText)) {
    throw malformed(`Contour result value ${JSON.stringify(valueText.slice(0, 20))} is not a number`);
  }
  const [unitText, methodCode = ''] = f[4].split(d.component);
  if (unitText !== 'mg/dL' && unitText !== 'mmol/L') {
    throw malformed(`Contour result unit ${JSON.stringify(unitText.slice(0, 20))}`);
  }
  const method = METHODS[methodCode];
  if (!method)
    throw malformed(`Contour result reference method ${JSON.stringify(methodCode)} is not P/B/C/D`);
  let annotations: string[];
  let marks: string[];
  let control: boolean;
  if (f.length === 12) {
    annotations = f[6] === '' ? [] : f[6].split(d.repeat);
    marks = f[7] === '' ? [] : f[7].split(/[/\\]/).filter((m) => m !== '');
    control = f[8].includes('E');
  } else {
    const markers = f[6] === '' ? [] : f[6].split('/');
    annotations = markers.filter((m) => m === '<' || m === '>' || m === 'T');
    marks = markers.filter((m) => !(m === '<' || m === '>' || m === 'T' || m === 'E'));
    control = markers.includes('E');
  }
  for (const a of annotations) {
    if (a !== '<' && a !== '>' && a !== 'T')
      throw malformed(`Contour result annotation ${JSON.stringify(a)}`);
  }
  if (annotations.includes('<') && annotations.includes('>')) {
    throw new CodecError('ERR_FLAGS_INCONSISTENT', 'Contour result is annotated both below and above range');
  }
  const meterTime = f[f.length - 1];
  const result: ContourResult = {
    sequence: Number(f[1]),
    analyte,
    value: Number(valueText),
    valueText,
    unit: unitText,
    method,
    annotations,
    marks,
    control,
    meterTime,
    localTime: contourLocalTime(meterTime),
  };
  if (annotations.includes('<')) result.flag = 'low';
  if (annotations.includes('>')) result.flag = 'high';
  return result;
}

export interface ContourResultFields {
  sequence: number;
  analyte?: string;
  valueText: string;
  unit: ContourUnit;
  method: ContourMethod;
  annotations: string[];
  marks: string[];
  control: boolean;
  meterTime: string;
}

/** Encodes the long (Tidepool) layout. */
export function encodeContourResult(r: ContourResultFields): string {
  if (!Number.isInteger(r.sequence) || r.sequence < 0 || r.sequence > 999999) {
    throw new CodecError('ERR_OUT_OF_RANGE', `sequence ${r.sequence}`);
  }
  if (!/^\d{1,4}(\.\d{1,3})?$/.test(r.valueText))
    throw new CodecError('ERR_INVALID_ARGUMENT', `value ${r.valueText}`);
  const analyte = r.analyte ?? 'Glucose';
  if (!/^[A-Za-z0-9]+$/.test(analyte)) throw new CodecError('ERR_INVALID_ARGUMENT', `analyte ${analyte}`);
  for (const a of r.annotations) {
    if (a !== '<' && a !== '>' && a !== 'T') throw new CodecError('ERR_INVALID_ARGUMENT', `annotation ${a}`);
  }
  for (const m of r.marks) {
    if (!/^[A-DF-Z]$/.test(m)) throw new CodecError('ERR_INVALID_ARGUMENT', `mark ${m}`);
  }
  const method = METHOD_CODES[r.method];
  if (!method) throw new CodecError('ERR_INVALID_ARGUMENT', `method ${String(r.method)}`);
  if (r.unit !== 'mg/dL' && r.unit !== 'mmol/L')
    throw new CodecError('ERR_INVALID_ARGUMENT', `unit ${String(r.unit)}`);
  contourLocalTime(r.meterTime);
  return encodeAstmRecord({
    type: 'R',
    fields: [
      'R',
      String(r.sequence),
      `^^^${analyte}`,
      r.valueText,
      `${r.unit}^${method}`,
      '',
      r.annotations.join('\\'),
      r.marks.join('/'),
      r.control ? 'E' : '',
      '',
      '',
      r.meterTime,
    ],
  });
}

// ---- terminator ---------------------------------------------------------------------------------------------

/** `L|1||N`: N normal end; other codes (T, E, Q, I, F) mean the sender stopped early. */
export function decodeContourTerminator(
  input: string | AstmRecord,
  d = ASTM_DEFAULT_DELIMITERS,
): { code: string } {
  const rec = asRecord(input, d);
  if (rec.type !== 'L') throw malformed(`expected a terminator record, got ${rec.type}`);
  const code = rec.fields[3] ?? '';
  if (!/^[NTERQIF]?$/.test(code)) throw malformed(`terminator code ${JSON.stringify(code.slice(0, 10))}`);
  return { code: code === '' ? 'N' : code };
}

export function encodeContourTerminator(code = 'N'): string {
  if (!/^[NTERQIF]$/.test(code)) throw new CodecError('ERR_INVALID_ARGUMENT', `terminator code ${code}`);
  return `L|1||${code}`;
}
