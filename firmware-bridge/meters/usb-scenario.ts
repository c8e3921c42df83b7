// What a simulated USB meter holds and which faults it injects. Faults name the record (0-based) they hit.
export type UsbFaultKind = 'bad-checksum' | 'garbage' | 'unplug';

export interface UsbFault {
  kind: UsbFaultKind;
  /** Record index the fault hits (the frame / reply / answer carrying it). */
  at: number;
  /** Consecutive transmissions hit (default 1); more than the gateway's retries = a clean failure. */
  times?: number;
}

export interface UsbRecord {
  /** Meter wall time `YYYY-MM-DDTHH:MM:SS`. */
  time: string;
  /** mg/dL (mmol/L for a Contour meter set to mmol/L); ketone: mmol/L. */
  value: number;
  control?: boolean;
  ketone?: boolean;
  flag?: 'low' | 'high';
}

export interface UsbScenario {
  serial: string;
  /** Meter wall clock. */
  clock: string;
  unit?: 'mg/dL' | 'mmol/L';
  records: UsbRecord[];
  faults?: UsbFault[];
}

/** Counts down one fault's transmissions. */
export class FaultBook {
  private readonly left: Map<UsbFault, number>;
  constructor(faults: UsbFault[] = []) {
    this.left = new Map(faults.map((f) => [f, f.times ?? 1]));
  }

  /** True (and one transmission used up) when a fault of `kind` hits record `at` now. */
  hit(kind: UsbFaultKind, at: number): boolean {
    for (const [f, n] of this.left) {
      if (f.kind === kind && f.at === at && n > 0) {
        this.left.set(f, n - 1);
        return true;
      }
    }
    return false;
  }
}

/** Bytes that are no valid report of any of the meters: a length byte over the maximum, noise after it. */
export function garbageReport(): Uint8Array {
  const r = new Uint8Array(64);
  for (let i = 0; i < 64; i++) r[i] = (i * 37 + 11) & 0xff;
  r[1] = 0xff;
  r[3] = 0xff;
  return r;
}
