// Shared by the serial-meter codec tests: fuzz a decoder and assert that every failure is a CodecError.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CodecError } from '../../../drivers/codecs/codec-error.ts';

export const FUZZ_RUNS = 100_000;

/** Random edits of valid inputs (flip, truncate, insert, delete, duplicate), so fuzzing reaches deep paths. */
export function mutatedBytes(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  const edit = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 4 }));
  return fc.tuple(valid, fc.array(edit, { minLength: 1, maxLength: 3 })).map(([bytes, edits]) => {
    let b = Array.from(bytes);
    for (const [pos, value, kind] of edits) {
      const at = b.length === 0 ? 0 : pos % (b.length + 1);
      if (kind === 0 && b.length > 0) b[at % b.length] = value;
      else if (kind === 1) b = b.slice(0, at);
      else if (kind === 2) b.splice(at, 0, value);
      else if (kind === 3 && b.length > 0) b.splice(at % b.length, 1);
      else b = b.concat(b.slice(at));
    }
    return Uint8Array.from(b);
  });
}

export function mutatedText(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return mutatedBytes(valid.map((s) => Uint8Array.from(Buffer.from(s, 'latin1')))).map((b) =>
    Buffer.from(b).toString('latin1'),
  );
}

/** Runs `decode` on FUZZ_RUNS inputs; anything thrown must be a CodecError. Returns how many decoded. */
export function fuzzDecoder<T>(
  input: fc.Arbitrary<T>,
  decode: (x: T) => unknown,
  numRuns = FUZZ_RUNS,
): number {
  let ok = 0;
  fc.assert(
    fc.property(input, (x) => {
      try {
        decode(x);
        ok++;
      } catch (err) {
        if (!(err instanceof CodecError)) throw err;
        assert.ok(err.message.length > 0);
      }
    }),
    { numRuns },
  );
  return ok;
}

export const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const fromHex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
