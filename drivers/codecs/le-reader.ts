// Bounds-checked little-endian cursor over a characteristic value. Every read names its field, so a
// short buffer becomes a CodecError that says which field was missing instead of a RangeError or NaN.
import { CodecError } from './codec-error.ts';

export class LeReader {
  readonly bytes: Uint8Array;
  offset: number;
  readonly end: number;

  constructor(bytes: Uint8Array, offset = 0, end = bytes.length) {
    this.bytes = bytes;
    this.offset = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  /** Reserve `n` octets for `field`, returning their start offset. */
  take(n: number, field: string): number {
    if (this.remaining < n) {
      throw new CodecError(
        'ERR_TOO_SHORT',
        `${field}: needs ${n} octet(s) at offset ${this.offset}, only ${Math.max(0, this.remaining)} left`,
      );
    }
    const at = this.offset;
    this.offset += n;
    return at;
  }

  u8(field: string): number {
    return this.bytes[this.take(1, field)];
  }

  s8(field: string): number {
    const v = this.u8(field);
    return v >= 0x80 ? v - 0x100 : v;
  }

  u16(field: string): number {
    const at = this.take(2, field);
    return this.bytes[at] | (this.bytes[at + 1] << 8);
  }

  s16(field: string): number {
    const v = this.u16(field);
    return v >= 0x8000 ? v - 0x10000 : v;
  }

  u24(field: string): number {
    const at = this.take(3, field);
    return this.bytes[at] | (this.bytes[at + 1] << 8) | (this.bytes[at + 2] << 16);
  }

  /** Fail if anything is left over: a value longer than its flags announce is invalid data. */
  expectEnd(what: string): void {
    if (this.remaining > 0) {
      throw new CodecError(
        'ERR_TOO_LONG',
        `${what}: ${this.remaining} unexpected octet(s) after offset ${this.offset}`,
      );
    }
  }
}
