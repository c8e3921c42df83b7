// Shared by the serial-meter codec tests: fuzz a decoder and assert that every failure is a CodecError.
// Inputs come from a seeded PRNG (reproducible): random byte strings plus random edits (flip, truncate,
// insert, delete, duplicate) of valid encodings, so fuzzing reaches the deep paths of each decoder.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CodecError } from '../../../drivers/codecs/codec-error.ts';

export const FUZZ_RUNS = 100_000;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FUZZ_RUNS inputs: a third random bytes (length ≤ maxLength), the rest mutated samples of `valid`. */
export function fuzzBytes(
  valid: fc.Arbitrary<Uint8Array>,
  maxLength = 64,
  seed = 0x5e71a1,
  count = FUZZ_RUNS,
): Uint8Array[] {
  const rnd = mulberry32(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const samples = fc.sample(valid, { numRuns: 300, seed });
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 3 === 0) {
      const b = new Uint8Array(int(maxLength + 1));
      for (let j = 0; j < b.length; j++) b[j] = int(256);
      out.push(b);
      continue;
    }
    let b = Array.from(samples[int(samples.length)]);
    const edits = 1 + int(3);
    for (let e = 0; e < edits; e++) {
      const at = int(b.length + 1);
      switch (int(5)) {
        case 0:
          if (b.length > 0) b[at % b.length] = int(256);
          break;
        case 1:
          b = b.slice(0, at);
          break;
        case 2:
          b.splice(at, 0, int(256));
          break;
        case 3:
          if (b.length > 0) b.splice(at % b.length, 1);
          break;
        default:
          b = b.concat(b.slice(at));
      }
    }
    out.push(Uint8Array.from(b));
  }
  return out;
}

export function fuzzText(valid: fc.Arbitrary<string>, maxLength = 64, seed = 0x5e71a1): string[] {
  return fuzzBytes(
    valid.map((s) => Uint8Array.from(Buffer.from(s, 'latin1'))),
    maxLength,
    seed,
  ).map((b) => Buffer.from(b).toString('latin1'));
}

/** Runs `decode` on every input; anything thrown must be a CodecError with a message. Returns how many decoded. */
export function fuzzDecoder<T>(inputs: T[], decode: (x: T) => unknown): number {
  assert.ok(inputs.length >= FUZZ_RUNS);
  let ok: number;
  // Capturing stack traces dominates the cost of a throw; fuzzing does not need them.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    ok = run(inputs, decode);
  } finally {
    Error.stackTraceLimit = limit;
  }
  return ok;
}

function run<T>(inputs: T[], decode: (x: T) => unknown): number {
  let ok = 0;
  for (const x of inputs) {
    try {
      decode(x);
      ok++;
    } catch (err) {
      if (!(err instanceof CodecError) || err.message.length === 0) {
        const shown =
          typeof x === 'string' ? JSON.stringify(x) : Buffer.from(x as Uint8Array).toString('hex');
        assert.fail(`decoder threw ${String(err)} (not a CodecError) on ${shown}`);
      }
    }
  }
  return ok;
}

export const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const fromHex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
