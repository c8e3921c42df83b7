// A small CBOR writer for the batch payload: definite-length maps, arrays and text, integers, doubles, null.
// Encodes exactly as cbor-x does with `useRecords: false, variableMapSize: true` (same bytes, checked by a
// property test), without its per-value type dispatch and object walk: keys are pre-encoded and values written
// straight into one buffer. Lengths use the shortest header (RFC 8949 preferred serialization; the cbor-x
// encoder used before wrote every map length in 16 bits, also plain CBOR). Numbers follow cbor-x: integers in
// [-2^32, 2^32) as CBOR integers, every other number as a double.

export class CborWriter {
  private buf: Buffer;
  private pos = 0;

  /** `sizeHint`: the expected size; the buffer grows (a copy) when it is exceeded. */
  constructor(sizeHint = 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(16, sizeHint));
  }

  /** The bytes written: a view of the writer's buffer, so use one writer per message. */
  toBuffer(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private head(major: number, n: number): void {
    this.ensure(9);
    const b = this.buf;
    const m = major << 5;
    if (n < 24) b[this.pos++] = m | n;
    else if (n < 0x100) {
      b[this.pos++] = m | 24;
      b[this.pos++] = n;
    } else if (n < 0x10000) {
      b[this.pos++] = m | 25;
      b.writeUInt16BE(n, this.pos);
      this.pos += 2;
    } else {
      b[this.pos++] = m | 26;
      b.writeUInt32BE(n, this.pos);
      this.pos += 4;
    }
  }

  map(entries: number): this {
    this.head(5, entries);
    return this;
  }

  array(items: number): this {
    this.head(4, items);
    return this;
  }

  /** Pre-encoded CBOR (a key from `cborText`). */
  raw(bytes: Buffer): this {
    this.ensure(bytes.length);
    bytes.copy(this.buf, this.pos);
    this.pos += bytes.length;
    return this;
  }

  null(): this {
    this.ensure(1);
    this.buf[this.pos++] = 0xf6;
    return this;
  }

  number(v: number): this {
    if (v >>> 0 === v) this.head(0, v);
    else if (v < 0 && v >= -0x100000000 && Math.floor(v) === v) this.head(1, -1 - v);
    else {
      this.ensure(9);
      this.buf[this.pos++] = 0xfb;
      this.buf.writeDoubleBE(v, this.pos);
      this.pos += 8;
    }
    return this;
  }

  text(s: string): this {
    const chars = s.length;
    // Written after a header sized for the character count; moved when the UTF-8 length needs a longer one.
    const guess = headSize(chars);
    this.ensure(guess + (chars < 64 ? chars * 3 : Buffer.byteLength(s, 'utf8')) + 9);
    const b = this.buf;
    const start = this.pos + guess;
    let len: number;
    if (chars < 64) {
      let p = start;
      for (let i = 0; i < chars; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) {
          p = -1;
          break;
        }
        b[p++] = c;
      }
      len = p < 0 ? b.write(s, start, 'utf8') : p - start;
    } else {
      len = b.write(s, start, 'utf8');
    }
    const size = headSize(len);
    if (size !== guess) b.copyWithin(this.pos + size, start, start + len);
    this.head(3, len);
    this.pos += len;
    return this;
  }

  /** The header of a text string of `bytes` UTF-8 bytes, its content written separately. */
  textHeader(bytes: number): this {
    this.head(3, bytes);
    return this;
  }

  /** Bare UTF-8 bytes, no CBOR header (the JSON format writes its text through the same buffer). */
  utf8(s: string): this {
    this.ensure(s.length < 64 ? s.length * 3 : Buffer.byteLength(s, 'utf8'));
    this.pos += this.buf.write(s, this.pos, 'utf8');
    return this;
  }

  nullableText(s: string | null): this {
    return s === null ? this.null() : this.text(s);
  }

  nullableNumber(v: number | null): this {
    return v === null ? this.null() : this.number(v);
  }
}

function headSize(n: number): number {
  return n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5;
}

/** A text string encoded once (map keys, constant values). */
export function cborText(s: string): Buffer {
  return new CborWriter(s.length * 3 + 9).text(s).toBuffer();
}
