// IEEE 11073-20601 SFLOAT ("medfloat16"): 4-bit exponent, 12-bit mantissa, both two's complement,
// value = mantissa × 10^exponent. Five raw values (exponent 0, mantissa 0x7FE..0x802) are special
// and are checked on the raw 16-bit value before splitting it (spec 0.1).
import { CodecError } from './codec-error.ts';
import type { LeReader } from './le-reader.ts';
import type { LeWriter } from './le-writer.ts';

export const SFLOAT_NAN = 0x07ff;
export const SFLOAT_NRES = 0x0800;
export const SFLOAT_POSITIVE_INFINITY = 0x07fe;
export const SFLOAT_NEGATIVE_INFINITY = 0x0802;
export const SFLOAT_RESERVED = 0x0801;

/** Largest mantissa magnitude an encoder uses for ordinary numbers (0x7FE..0x802 collide with specials). */
export const SFLOAT_MAX_MANTISSA = 2045;

/** A finite number with the exact mantissa/exponent it was sent with (kept so encoding is lossless). */
export interface SfloatNumber {
  readonly kind: 'number';
  readonly value: number;
  readonly mantissa: number;
  readonly exponent: number;
}

/** NaN = invalid result, NRes = not at this resolution, ±inf = above/below the measuring range. */
export type SfloatSpecialKind = 'nan' | 'nres' | '+inf' | '-inf';

export interface SfloatSpecial {
  readonly kind: SfloatSpecialKind;
}

/** What a measurement field can hold: a number or one of the four defined special values. */
export type Sfloat = SfloatNumber | SfloatSpecial;

/** Everything a raw SFLOAT can be, including the value reserved for future use (0x0801). */
export type SfloatAny = Sfloat | { readonly kind: 'reserved' };

const SPECIAL_RAW: Record<SfloatSpecialKind | 'reserved', number> = {
  nan: SFLOAT_NAN,
  nres: SFLOAT_NRES,
  '+inf': SFLOAT_POSITIVE_INFINITY,
  '-inf': SFLOAT_NEGATIVE_INFINITY,
  reserved: SFLOAT_RESERVED,
};

/** m × 10^e computed so that the result equals the JS literal of the decimal (e.g. 1234, -2 → 12.34). */
function scale(mantissa: number, exponent: number): number {
  // Division by an exact power of ten rounds once, giving the same double as the decimal literal.
  return exponent >= 0 ? mantissa * 10 ** exponent : mantissa / 10 ** -exponent;
}

/** Build an SFLOAT number from its parts (mantissa −2048..2047, exponent −8..7). */
export function sfloatFromParts(mantissa: number, exponent: number): SfloatNumber {
  if (!Number.isInteger(mantissa) || mantissa < -2048 || mantissa > 2047) {
    throw new CodecError('ERR_INVALID_ARGUMENT', `SFLOAT mantissa ${String(mantissa)} is not in -2048..2047`);
  }
  if (!Number.isInteger(exponent) || exponent < -8 || exponent > 7) {
    throw new CodecError('ERR_INVALID_ARGUMENT', `SFLOAT exponent ${String(exponent)} is not in -8..7`);
  }
  const raw = ((exponent & 0x0f) << 12) | (mantissa & 0x0fff);
  if (raw >= SFLOAT_POSITIVE_INFINITY && raw <= SFLOAT_NEGATIVE_INFINITY) {
    throw new CodecError(
      'ERR_INVALID_ARGUMENT',
      `SFLOAT ${mantissa}e${exponent} collides with a special value`,
    );
  }
  // `+ 0` turns -0 into 0 so that a zero is always the same value.
  return {
    kind: 'number',
    value: scale(mantissa, exponent) + 0,
    mantissa: mantissa + 0,
    exponent: exponent + 0,
  };
}

/** Decode a raw 16-bit SFLOAT (already assembled little-endian). */
export function decodeSfloat(raw: number): SfloatAny {
  if (!Number.isInteger(raw) || raw < 0 || raw > 0xffff) {
    throw new CodecError('ERR_INVALID_ARGUMENT', `SFLOAT raw value ${String(raw)} is not a uint16`);
  }
  switch (raw) {
    case SFLOAT_NAN:
      return { kind: 'nan' };
    case SFLOAT_NRES:
      return { kind: 'nres' };
    case SFLOAT_POSITIVE_INFINITY:
      return { kind: '+inf' };
    case SFLOAT_NEGATIVE_INFINITY:
      return { kind: '-inf' };
    case SFLOAT_RESERVED:
      return { kind: 'reserved' };
  }
  let mantissa = raw & 0x0fff;
  if (mantissa >= 0x0800) mantissa -= 0x1000;
  let exponent = raw >>> 12;
  if (exponent >= 0x8) exponent -= 0x10;
  return { kind: 'number', value: scale(mantissa, exponent) + 0, mantissa, exponent };
}

/** Encode an SFLOAT back to its raw 16-bit value (exact inverse of decodeSfloat). */
export function encodeSfloat(value: SfloatAny): number {
  if (value.kind !== 'number') return SPECIAL_RAW[value.kind];
  return ((value.exponent & 0x0f) << 12) | (value.mantissa & 0x0fff);
}

/**
 * Choose an SFLOAT for a JS number: the largest exponent whose mantissa is an exact integer within
 * ±2045 (spec 0.1); else an exact one using the wider mantissa range allowed at a non-zero exponent;
 * if none is exact, the smallest exponent that fits, rounded. NaN and ±Infinity map
 * to the special values. Values beyond −2048 × 10^7..2047 × 10^7 are out of range.
 */
export function sfloatFromNumber(x: number): Sfloat {
  if (Number.isNaN(x)) return { kind: 'nan' };
  if (x === Infinity) return { kind: '+inf' };
  if (x === -Infinity) return { kind: '-inf' };
  if (x === 0) return sfloatFromParts(0, 0);
  const mantissaFor = (e: number) => Math.round(e >= 0 ? x / 10 ** e : x * 10 ** -e);
  for (let e = 7; e >= -8; e--) {
    const m = mantissaFor(e);
    if (Math.abs(m) <= SFLOAT_MAX_MANTISSA && scale(m, e) === x) return sfloatFromParts(m, e);
  }
  // Mantissas ±2046..2048 are ordinary numbers when the exponent is not 0: use them before rounding.
  for (let e = 7; e >= -8; e--) {
    const m = mantissaFor(e);
    if (e !== 0 && m >= -2048 && m <= 2047 && scale(m, e) === x) return sfloatFromParts(m, e);
  }
  for (let e = -8; e <= 7; e++) {
    const m = mantissaFor(e);
    if (Math.abs(m) <= SFLOAT_MAX_MANTISSA || (e !== 0 && m >= -2048 && m <= 2047))
      return sfloatFromParts(m, e);
  }
  throw new CodecError('ERR_OUT_OF_RANGE', `${x} is outside the SFLOAT range (-2048e7..2047e7)`);
}

/**
 * The value times 10^shift, computed on the decimal parts so unit conversions stay exact
 * (e.g. 120 × 10⁻⁵ kg/L with shift 5 → exactly 120 mg/dL); null for the special values.
 */
export function sfloatScaled(s: Sfloat, shift: number): number | null {
  return s.kind === 'number' ? scale(s.mantissa, s.exponent + shift) + 0 : null;
}

/** The numeric value, or null for the special values. */
export function sfloatValue(s: Sfloat): number | null {
  return s.kind === 'number' ? s.value : null;
}

/** Read an SFLOAT field; the reserved raw value makes the whole characteristic invalid (spec 0.1). */
export function readSfloat(r: LeReader, field: string): Sfloat {
  const at = r.offset;
  const s = decodeSfloat(r.u16(field));
  if (s.kind === 'reserved') {
    throw new CodecError('ERR_RESERVED_VALUE', `${field}: SFLOAT 0x0801 at offset ${at} is reserved`);
  }
  return s;
}

export function writeSfloat(w: LeWriter, value: Sfloat, field: string): void {
  if (value.kind === 'number') {
    // Validate parts and reject a mantissa/exponent pair that collides with a special value.
    sfloatFromParts(value.mantissa, value.exponent);
  } else if (!(value.kind in SPECIAL_RAW) || (value.kind as string) === 'reserved') {
    throw new CodecError('ERR_INVALID_ARGUMENT', `${field}: unknown SFLOAT kind ${String(value.kind)}`);
  }
  w.u16(encodeSfloat(value), field);
}
