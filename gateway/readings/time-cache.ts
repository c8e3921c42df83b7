// Parsing ISO times is the most expensive step of validating a reading. The canonical UTC forms drivers
// emit (`YYYY-MM-DDTHH:MM:SSZ`, `…SS.sssZ`) are parsed by hand (same result as Date.parse, no allocation);
// anything else goes through Date.parse, cached per batch because sessions repeat the same strings.

function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const c = s.charCodeAt(at + k) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** Epoch ms of an ISO time, NaN when it does not parse; equal to Date.parse for every input. */
export function parseIsoTime(s: string): number {
  const len = s.length;
  if (
    (len === 24 || len === 20) &&
    s.charCodeAt(4) === 45 && // -
    s.charCodeAt(7) === 45 &&
    s.charCodeAt(10) === 84 && // T
    s.charCodeAt(13) === 58 && // :
    s.charCodeAt(16) === 58 &&
    s.charCodeAt(len - 1) === 90 && // Z
    (len === 20 || s.charCodeAt(19) === 46) // .
  ) {
    const y = digits(s, 0, 4);
    const mo = digits(s, 5, 2);
    const d = digits(s, 8, 2);
    const h = digits(s, 11, 2);
    const mi = digits(s, 14, 2);
    const se = digits(s, 17, 2);
    const ms = len === 24 ? digits(s, 20, 3) : 0;
    // Date.UTC maps years 0–99 to 1900+, and Date.parse has its own rules for hour 24: leave those to it
    if (
      y >= 100 &&
      mo >= 1 &&
      mo <= 12 &&
      d >= 1 &&
      d <= 31 &&
      h >= 0 &&
      h <= 23 &&
      mi >= 0 &&
      mi <= 59 &&
      se >= 0 &&
      se <= 59 &&
      ms >= 0
    ) {
      return Date.UTC(y, mo - 1, d, h, mi, se, ms);
    }
  }
  return Date.parse(s);
}

export class TimeCache {
  private readonly ms = new Map<string, number>();
  private readonly iso = new Map<string, string>();

  /** Epoch ms of an ISO time, NaN when it does not parse. */
  parse(s: string): number {
    const len = s.length;
    if ((len === 24 || len === 20) && s.charCodeAt(len - 1) === 90) return parseIsoTime(s);
    let v = this.ms.get(s);
    if (v === undefined) {
      v = Date.parse(s);
      this.ms.set(s, v);
    }
    return v;
  }

  /** The canonical UTC ISO form (`...Z` with milliseconds) of a valid time. */
  canonical(s: string): string {
    let v = this.iso.get(s);
    if (v === undefined) {
      v = new Date(this.parse(s)).toISOString();
      this.iso.set(s, v);
    }
    return v;
  }
}
