// Glucose Measurement Context (0x2A34, spec B.3): optional fields after Flags + Sequence Number in the
// wire order Extended Flags, Carbohydrate, Meal, Tester/Health, Exercise, Medication, HbA1c.
// Code values are kept as numbers (unknown codes are not an error); the *Name helpers give names.
import { CodecError } from './codec-error.ts';
import { LeReader } from './le-reader.ts';
import { LeWriter } from './le-writer.ts';
import { readSfloat, writeSfloat } from './sfloat.ts';
import type { Sfloat } from './sfloat.ts';

export const GLS_CTX_CARBOHYDRATE = 0x01;
export const GLS_CTX_MEAL = 0x02;
export const GLS_CTX_TESTER_HEALTH = 0x04;
export const GLS_CTX_EXERCISE = 0x08;
export const GLS_CTX_MEDICATION = 0x10;
export const GLS_CTX_MEDICATION_LITRES = 0x20;
export const GLS_CTX_HBA1C = 0x40;
export const GLS_CTX_EXTENDED_FLAGS = 0x80;

export interface GlucoseContext {
  readonly sequenceNumber: number;
  /** Extended Flags octet (reserved for future use), kept as received. */
  readonly extendedFlags?: number;
  /** Carbohydrate ID and amount in kg. */
  readonly carbohydrate?: { readonly id: number; readonly amount: Sfloat };
  readonly meal?: number;
  /** Tester (low nibble) and Health (high nibble). */
  readonly testerHealth?: { readonly tester: number; readonly health: number };
  /** Duration in seconds (0xFFFF = overrun) and intensity in %. */
  readonly exercise?: { readonly durationSeconds: number; readonly intensityPercent: number };
  /** Medication ID and amount in kg, or in litres when flag bit 5 is set. */
  readonly medication?: { readonly id: number; readonly amount: Sfloat; readonly unit: 'kg' | 'L' };
  /** HbA1c in %. */
  readonly hba1c?: Sfloat;
}

const name = (table: Record<number, string>) => (code: number) => table[code] ?? 'reserved';

export const carbohydrateName = name({
  1: 'breakfast',
  2: 'lunch',
  3: 'dinner',
  4: 'snack',
  5: 'drink',
  6: 'supper',
  7: 'brunch',
});
export const mealName = name({
  1: 'preprandial',
  2: 'postprandial',
  3: 'fasting',
  4: 'casual',
  5: 'bedtime',
});
export const testerName = name({
  1: 'self',
  2: 'health-care-professional',
  3: 'lab-test',
  15: 'not-available',
});
export const healthName = name({
  1: 'minor-health-issues',
  2: 'major-health-issues',
  3: 'during-menses',
  4: 'under-stress',
  5: 'no-health-issues',
  15: 'not-available',
});
export const medicationName = name({
  1: 'rapid-acting-insulin',
  2: 'short-acting-insulin',
  3: 'intermediate-acting-insulin',
  4: 'long-acting-insulin',
  5: 'pre-mixed-insulin',
});

/** Decode one Glucose Measurement Context. Throws only CodecError. */
export function decodeGlucoseContext(bytes: Uint8Array): GlucoseContext {
  if (!(bytes instanceof Uint8Array))
    throw new CodecError('ERR_INVALID_ARGUMENT', 'bytes must be a Uint8Array');
  const r = new LeReader(bytes);
  const flags = r.u8('Glucose Measurement Context flags');
  const sequenceNumber = r.u16('sequence number');
  const out: {
    -readonly [K in keyof GlucoseContext]: GlucoseContext[K];
  } = { sequenceNumber };
  if (flags & GLS_CTX_EXTENDED_FLAGS) out.extendedFlags = r.u8('extended flags');
  if (flags & GLS_CTX_CARBOHYDRATE) {
    const id = r.u8('carbohydrate ID');
    out.carbohydrate = { id, amount: readSfloat(r, 'carbohydrate') };
  }
  if (flags & GLS_CTX_MEAL) out.meal = r.u8('meal');
  if (flags & GLS_CTX_TESTER_HEALTH) {
    const th = r.u8('tester/health');
    out.testerHealth = { tester: th & 0x0f, health: th >>> 4 };
  }
  if (flags & GLS_CTX_EXERCISE) {
    const durationSeconds = r.u16('exercise duration');
    out.exercise = { durationSeconds, intensityPercent: r.u8('exercise intensity') };
  }
  if (flags & GLS_CTX_MEDICATION) {
    const id = r.u8('medication ID');
    const amount = readSfloat(r, 'medication');
    out.medication = { id, amount, unit: flags & GLS_CTX_MEDICATION_LITRES ? 'L' : 'kg' };
  }
  if (flags & GLS_CTX_HBA1C) out.hba1c = readSfloat(r, 'HbA1c');
  r.expectEnd('Glucose Measurement Context');
  return out;
}

export function encodeGlucoseContext(c: GlucoseContext): Uint8Array {
  let flags = 0;
  if (c.carbohydrate) flags |= GLS_CTX_CARBOHYDRATE;
  if (c.meal !== undefined) flags |= GLS_CTX_MEAL;
  if (c.testerHealth) flags |= GLS_CTX_TESTER_HEALTH;
  if (c.exercise) flags |= GLS_CTX_EXERCISE;
  if (c.medication) {
    flags |= GLS_CTX_MEDICATION;
    if (c.medication.unit === 'L') flags |= GLS_CTX_MEDICATION_LITRES;
    else if (c.medication.unit !== 'kg') {
      throw new CodecError(
        'ERR_INVALID_ARGUMENT',
        `medication unit ${String(c.medication.unit)} is not kg or L`,
      );
    }
  }
  if (c.hba1c) flags |= GLS_CTX_HBA1C;
  if (c.extendedFlags !== undefined) flags |= GLS_CTX_EXTENDED_FLAGS;
  const w = new LeWriter().u8(flags, 'flags').u16(c.sequenceNumber, 'sequence number');
  if (c.extendedFlags !== undefined) w.u8(c.extendedFlags, 'extended flags');
  if (c.carbohydrate) {
    w.u8(c.carbohydrate.id, 'carbohydrate ID');
    writeSfloat(w, c.carbohydrate.amount, 'carbohydrate');
  }
  if (c.meal !== undefined) w.u8(c.meal, 'meal');
  if (c.testerHealth) {
    const { tester, health } = c.testerHealth;
    if (
      !Number.isInteger(tester) ||
      !Number.isInteger(health) ||
      tester < 0 ||
      tester > 15 ||
      health < 0 ||
      health > 15
    ) {
      throw new CodecError('ERR_INVALID_ARGUMENT', 'tester and health must be nibbles (0..15)');
    }
    w.u8((health << 4) | tester, 'tester/health');
  }
  if (c.exercise) {
    w.u16(c.exercise.durationSeconds, 'exercise duration').u8(
      c.exercise.intensityPercent,
      'exercise intensity',
    );
  }
  if (c.medication) {
    w.u8(c.medication.id, 'medication ID');
    writeSfloat(w, c.medication.amount, 'medication');
  }
  if (c.hba1c) writeSfloat(w, c.hba1c, 'HbA1c');
  return w.toBytes();
}
