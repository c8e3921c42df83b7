// ASTM E1394 records: one line of text (no CR) split into fields by the delimiters the header defines.
// `H|\^&` declares field `|`, repeat `\`, component `^`, escape `&` (standard meaning; spec D.3).
// Fields are kept as sent (still escaped); astmComponents() splits and unescapes one field.
import { CodecError } from './codec-error.ts';

export interface AstmDelimiters {
  field: string;
  repeat: string;
  component: string;
  escape: string;
}

export const ASTM_DEFAULT_DELIMITERS: AstmDelimiters = {
  field: '|',
  repeat: '\\',
  component: '^',
  escape: '&',
};

export type AstmRecordType = 'H' | 'P' | 'O' | 'R' | 'C' | 'Q' | 'L' | 'M' | 'S';
const RECORD_TYPES = new Set(['H', 'P', 'O', 'R', 'C', 'Q', 'L', 'M', 'S']);

export interface AstmRecord {
  type: AstmRecordType;
  /** fields[0] is the type letter; for H, fields[1] is the delimiter definition (e.g. `\^&`). */
  fields: string[];
}

/** Longest record text we split (Contour records are under 300 characters). */
export const ASTM_MAX_RECORD_TEXT = 64 * 1024;

function isDelimiterChar(c: string): boolean {
  const code = c.charCodeAt(0);
  return c.length === 1 && code >= 0x21 && code <= 0x7e && !/[0-9A-Za-z]/.test(c);
}

function checkDelimiters(d: AstmDelimiters): void {
  const all = [d.field, d.repeat, d.component, d.escape];
  if (!all.every(isDelimiterChar) || new Set(all).size !== 4) {
    throw new CodecError(
      'ERR_MALFORMED',
      `ASTM delimiters ${JSON.stringify(all.join(''))} are not 4 distinct symbols`,
    );
  }
}

function checkText(text: string): void {
  if (text.length > ASTM_MAX_RECORD_TEXT)
    throw new CodecError('ERR_TOO_LONG', `ASTM record is ${text.length} chars`);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) {
      throw new CodecError(
        'ERR_MALFORMED',
        `ASTM record holds byte 0x${c.toString(16).padStart(2, '0')} at ${i}`,
      );
    }
  }
}

/** Reads the delimiters from a header record: `H` + field + repeat + component + escape. */
export function decodeAstmDelimiters(header: string): AstmDelimiters {
  if (header.length < 5 || header[0] !== 'H') {
    throw new CodecError('ERR_MALFORMED', 'ASTM header must start with H and four delimiter characters');
  }
  const d = { field: header[1], repeat: header[2], component: header[3], escape: header[4] };
  checkDelimiters(d);
  if (header.length > 5 && header[5] !== d.field) {
    throw new CodecError(
      'ERR_MALFORMED',
      'ASTM header delimiter definition is not followed by a field delimiter',
    );
  }
  return d;
}

/** Splits one record. A header record redefines the delimiters; other records use `delimiters`. */
export function decodeAstmRecord(
  text: string,
  delimiters: AstmDelimiters = ASTM_DEFAULT_DELIMITERS,
): AstmRecord {
  if (text.length === 0) throw new CodecError('ERR_TOO_SHORT', 'ASTM record is empty');
  checkText(text);
  const type = text[0];
  if (!RECORD_TYPES.has(type))
    throw new CodecError('ERR_UNKNOWN_OPCODE', `ASTM record type ${JSON.stringify(type)}`);
  if (type === 'H') {
    const d = decodeAstmDelimiters(text);
    const rest = text.length > 5 ? text.slice(6).split(d.field) : [];
    return { type, fields: ['H', text.slice(2, 5), ...rest] };
  }
  checkDelimiters(delimiters);
  if (text.length > 1 && text[1] !== delimiters.field) {
    throw new CodecError(
      'ERR_MALFORMED',
      `ASTM ${type} record: type letter not followed by ${delimiters.field}`,
    );
  }
  return { type: type as AstmRecordType, fields: text.split(delimiters.field) };
}

export function encodeAstmRecord(
  record: AstmRecord,
  delimiters: AstmDelimiters = ASTM_DEFAULT_DELIMITERS,
): string {
  if (!RECORD_TYPES.has(record.type) || record.fields[0] !== record.type) {
    throw new CodecError(
      'ERR_INVALID_ARGUMENT',
      `ASTM record type ${JSON.stringify(record.type)} / fields[0] mismatch`,
    );
  }
  let d = delimiters;
  if (record.type === 'H') {
    const def = record.fields[1] ?? '';
    if (def.length !== 3)
      throw new CodecError('ERR_INVALID_ARGUMENT', 'ASTM header needs a 3-character definition');
    d = { field: d.field, repeat: def[0], component: def[1], escape: def[2] };
  }
  checkDelimiters(d);
  const from = record.type === 'H' ? 2 : 1;
  for (let i = from; i < record.fields.length; i++) {
    if (record.fields[i].includes(d.field)) {
      throw new CodecError('ERR_INVALID_ARGUMENT', `ASTM field ${i} contains the field delimiter`);
    }
  }
  const text = record.fields.join(d.field);
  checkText(text);
  return text;
}

/** Unescapes `&F&`, `&S&`, `&R&`, `&E&`; other escape sequences (`&H&`, `&Xhh&`) are kept as sent. */
export function unescapeAstm(text: string, d: AstmDelimiters = ASTM_DEFAULT_DELIMITERS): string {
  if (!text.includes(d.escape)) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c !== d.escape) {
      out += c;
      i++;
      continue;
    }
    const end = text.indexOf(d.escape, i + 1);
    if (end < 0) throw new CodecError('ERR_MALFORMED', `ASTM escape sequence at ${i} is not closed`);
    const seq = text.slice(i + 1, end);
    const map: Record<string, string> = { F: d.field, S: d.component, R: d.repeat, E: d.escape };
    out += map[seq] ?? text.slice(i, end + 1);
    i = end + 1;
  }
  return out;
}

export function escapeAstm(text: string, d: AstmDelimiters = ASTM_DEFAULT_DELIMITERS): string {
  let out = '';
  for (const c of text) {
    if (c === d.escape) out += `${d.escape}E${d.escape}`;
    else if (c === d.field) out += `${d.escape}F${d.escape}`;
    else if (c === d.component) out += `${d.escape}S${d.escape}`;
    else if (c === d.repeat) out += `${d.escape}R${d.escape}`;
    else out += c;
  }
  return out;
}

/** One field as repeats of components, unescaped: `a^b\c` → [['a','b'],['c']]. */
export function astmComponents(field: string, d: AstmDelimiters = ASTM_DEFAULT_DELIMITERS): string[][] {
  return field.split(d.repeat).map((rep) => rep.split(d.component).map((c) => unescapeAstm(c, d)));
}
