// Growable little-endian writer for the encoders. Values are range-checked so an encoder never
// silently truncates a field; a bad value is a CodecError('ERR_INVALID_ARGUMENT').
import { CodecError } from './codec-error.ts';

function checkInt(value: number, min: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CodecError(
      'ERR_INVALID_ARGUMENT',
      `${field}: ${String(value)} is not an integer in ${min}..${max}`,
    );
  }
}

export class LeWriter {
  private readonly out: number[] = [];

  get length(): number {
    return this.out.length;
  }

  u8(value: number, field: string): this {
    checkInt(value, 0, 0xff, field);
    this.out.push(value);
    return this;
  }

  s8(value: number, field: string): this {
    checkInt(value, -0x80, 0x7f, field);
    this.out.push(value & 0xff);
    return this;
  }

  u16(value: number, field: string): this {
    checkInt(value, 0, 0xffff, field);
    this.out.push(value & 0xff, value >>> 8);
    return this;
  }

  s16(value: number, field: string): this {
    checkInt(value, -0x8000, 0x7fff, field);
    this.out.push(value & 0xff, (value >>> 8) & 0xff);
    return this;
  }

  u24(value: number, field: string): this {
    checkInt(value, 0, 0xffffff, field);
    this.out.push(value & 0xff, (value >>> 8) & 0xff, value >>> 16);
    return this;
  }

  bytes(values: Uint8Array): this {
    for (const b of values) this.out.push(b);
    return this;
  }

  /** Overwrite one octet already written (used for a record's leading Size field). */
  setU8(index: number, value: number, field: string): this {
    checkInt(value, 0, 0xff, field);
    this.out[index] = value;
    return this;
  }

  toBytes(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

export { checkInt };
