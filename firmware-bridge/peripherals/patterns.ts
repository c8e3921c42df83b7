// Generated glucose traces for simulated history and live records (mg/dL), deterministic for a seed.
import { glucoseAt } from '../synthetic-readings.ts';

export const PATTERNS = ['meals', 'flat', 'ramp', 'lohi'] as const;
export type Pattern = (typeof PATTERNS)[number];

export interface PatternOptions {
  pattern?: Pattern;
  /** the value of the 'flat' pattern, mg/dL (default 110) */
  value?: number;
  seed?: number;
}

/**
 * Glucose at `minute` (minutes on the device's time line):
 * - meals: two meal peaks a day on a slow drift (45..380)
 * - flat: `value`
 * - ramp: 30, 31, ... 429, 30, ... — crosses both ends of a 40..400 measuring range
 * - lohi: meals, with 15 minutes below 35 every 12 h and 15 minutes at 420 six hours later
 */
export function patternValue(minute: number, opts: PatternOptions = {}): number {
  const seed = opts.seed ?? 1;
  switch (opts.pattern ?? 'meals') {
    case 'flat':
      return opts.value ?? 110;
    case 'ramp':
      return 30 + (((minute % 400) + 400) % 400);
    case 'lohi': {
      const m = ((minute % 720) + 720) % 720;
      if (m < 15) return 30 + (m % 5);
      if (m >= 360 && m < 375) return 420;
      return glucoseAt(minute, seed);
    }
    case 'meals':
    default:
      return glucoseAt(minute, seed);
  }
}
