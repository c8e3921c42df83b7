// Scenario files for the simulated serial meters: what the meter holds (serial, unit, clock, records) and
// which line faults it injects. JSON, validated on load so a typo fails loudly instead of silently.
import { MGDL_PER_MMOLL } from '../../gateway/hddt/codes.ts';
import { GatewayError } from '../../lib/errors.ts';

export type MeterProtocol = 'onetouch-ultra2' | 'onetouch-ultraeasy' | 'astm';
export type FaultKind = 'bad-checksum' | 'nak' | 'cut' | 'noise' | 'silence' | 'unplug';
export const FAULT_KINDS: readonly FaultKind[] = ['bad-checksum', 'nak', 'cut', 'noise', 'silence', 'unplug'];

export interface ScenarioRecord {
  /** Meter wall time `YYYY-MM-DDTHH:MM:SS`. */
  time: string;
  /** In the scenario unit for ASTM meters; mg/dL for OneTouch meters (they store mg/dL). */
  value: number;
  control?: boolean;
  /** Below/above the measuring range: the meter shows LO/HI (`<`/`>` on Contour); value is the limit. */
  flag?: 'low' | 'high';
  meal?: 'none' | 'before' | 'after';
  /** OneTouch Ultra 2: the meter marks the record with `?` (parity error). */
  unreliable?: boolean;
}

export interface ScenarioFault {
  kind: FaultKind;
  /**
   * Index (0-based) of the record whose line/frame/answer is hit. ASTM `nak` hits the gateway's ENQ instead
   * (the meter answers "busy").
   */
  at: number;
  /** How many consecutive transmissions are hit (default 1); more than the gateway's retries = clean failure. */
  times?: number;
  /** `noise`: how many bytes (default 16). */
  bytes?: number;
}

export interface Scenario {
  protocol: MeterProtocol;
  serial: string;
  unit: 'mg/dL' | 'mmol/L';
  /** Meter wall clock when the simulator starts; it runs on from there. */
  clock: string;
  records: ScenarioRecord[];
  faults?: ScenarioFault[];
  /** Seed for noise bytes. */
  seed?: number;
}

const LOCAL_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;

export class ScenarioError extends GatewayError {
  constructor(message: string) {
    super('ERR_SCENARIO', message);
  }
}

function fail(msg: string): never {
  throw new ScenarioError(`scenario: ${msg}`);
}

function checkTime(t: unknown, where: string): void {
  const ms = typeof t === 'string' && LOCAL_RE.test(t) ? Date.parse(t + 'Z') : NaN;
  // Round trip: Date.parse accepts 30 February and quietly rolls it over.
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 19) !== t) {
    fail(`${where} must be a local time YYYY-MM-DDTHH:MM:SS, got ${JSON.stringify(t)}`);
  }
}

export function validateScenario(input: unknown): Scenario {
  if (typeof input !== 'object' || input === null) fail('must be an object');
  const s = input as Scenario;
  if (!['onetouch-ultra2', 'onetouch-ultraeasy', 'astm'].includes(s.protocol)) {
    fail(`protocol must be onetouch-ultra2, onetouch-ultraeasy or astm, got ${JSON.stringify(s.protocol)}`);
  }
  if (typeof s.serial !== 'string' || s.serial.length === 0) fail('serial must be a non-empty string');
  if (s.protocol === 'onetouch-ultra2' && !/^[0-9A-Z]{8}Y$/.test(s.serial)) {
    fail('an Ultra 2 serial is 8 characters [0-9A-Z] followed by Y');
  }
  if (s.unit !== 'mg/dL' && s.unit !== 'mmol/L') fail('unit must be mg/dL or mmol/L');
  checkTime(s.clock, 'clock');
  if (!Array.isArray(s.records)) fail('records must be an array');
  const max = s.protocol === 'onetouch-ultra2' ? 999 : s.protocol === 'onetouch-ultraeasy' ? 500 : 99999;
  if (s.records.length > max) fail(`${s.protocol} holds at most ${max} records`);
  s.records.forEach((r, i) => {
    checkTime(r.time, `records[${i}].time`);
    if (typeof r.value !== 'number' || !Number.isFinite(r.value) || r.value < 0) {
      fail(`records[${i}].value must be a non-negative number`);
    }
    if (s.protocol !== 'astm' || s.unit === 'mg/dL') {
      if (!Number.isInteger(r.value) || r.value > 999)
        fail(`records[${i}].value must be an integer mg/dL ≤ 999`);
    }
    if (r.flag !== undefined && r.flag !== 'low' && r.flag !== 'high')
      fail(`records[${i}].flag must be low or high`);
    if (s.protocol === 'onetouch-ultraeasy' && (r.flag || r.control || r.unreliable)) {
      fail(`records[${i}]: the Ultra Easy protocol carries no flags, control marks or parity marks`);
    }
  });
  for (const [i, f] of (s.faults ?? []).entries()) {
    if (!FAULT_KINDS.includes(f.kind)) fail(`faults[${i}].kind must be one of ${FAULT_KINDS.join(', ')}`);
    if (!Number.isInteger(f.at) || f.at < 0) fail(`faults[${i}].at must be a record index`);
    if (f.times !== undefined && (!Number.isInteger(f.times) || f.times < 1))
      fail(`faults[${i}].times must be ≥ 1`);
  }
  return s;
}

export function parseScenario(json: string): Scenario {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    fail(`not JSON: ${(err as Error).message}`);
  }
  return validateScenario(parsed);
}

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

/** A deterministic pseudo-random byte source for noise faults. */
export function noiseSource(seed: number): (n: number) => Buffer {
  const rnd = mulberry32(seed);
  return (n) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      // Line noise without C0 control characters: printable and high bytes, so it corrupts text
      // rather than impersonating protocol control bytes.
      const v = Math.floor(rnd() * (95 + 128));
      b[i] = v < 95 ? 0x20 + v : 0x80 + (v - 95);
    }
    return b;
  };
}

export interface SyntheticOptions {
  /** Time of the newest record (meter wall time). */
  newest: string;
  /** Minutes between records (default 437: 7 h 17 min, so times wander through the day and across DST). */
  stepMinutes?: number;
  seed?: number;
  /** Every n-th record is a control test (0 = none). */
  controlEvery?: number;
  /** Every n-th record is HI/LO (0 = none). */
  flagEvery?: number;
  unit?: 'mg/dL' | 'mmol/L';
}

/** `n` records, newest first, with reproducible values. */
export function syntheticRecords(n: number, o: SyntheticOptions): ScenarioRecord[] {
  const rnd = mulberry32(o.seed ?? 7);
  const step = (o.stepMinutes ?? 437) * 60_000;
  const newest = Date.parse(o.newest + 'Z');
  const out: ScenarioRecord[] = [];
  for (let i = 0; i < n; i++) {
    const time = new Date(newest - i * step).toISOString().slice(0, 19);
    const mg = 40 + Math.floor(rnd() * 360);
    const r: ScenarioRecord = {
      time,
      value: o.unit === 'mmol/L' ? Math.round((mg / MGDL_PER_MMOLL) * 10) / 10 : mg,
      meal: (['none', 'before', 'after'] as const)[i % 3],
    };
    if (o.controlEvery && i % o.controlEvery === o.controlEvery - 1) r.control = true;
    if (o.flagEvery && i % o.flagEvery === o.flagEvery - 1) {
      r.flag = i % 2 === 0 ? 'high' : 'low';
      r.value = r.flag === 'high' ? (o.unit === 'mmol/L' ? 33.3 : 600) : o.unit === 'mmol/L' ? 1.1 : 20;
    }
    out.push(r);
  }
  return out;
}

/** Meter wall clock: starts at the scenario clock and runs with the host clock. */
export function meterClock(start: string): () => string {
  const base = Date.parse(start + 'Z');
  const t0 = Date.now();
  return () => new Date(base + (Date.now() - t0)).toISOString().slice(0, 19);
}

/** Fault bookkeeping: each fault hits its point `times` times, then never again. */
export class FaultPlan {
  private readonly left: { fault: ScenarioFault; left: number }[];
  constructor(faults: ScenarioFault[] = []) {
    this.left = faults.map((fault) => ({ fault, left: fault.times ?? 1 }));
  }
  /** The fault hitting record `at` now (consumes one of its `times`), if any. */
  take(at: number, kinds: readonly FaultKind[] = FAULT_KINDS): ScenarioFault | undefined {
    const e = this.left.find((x) => x.fault.at === at && x.left > 0 && kinds.includes(x.fault.kind));
    if (!e) return undefined;
    e.left--;
    return e.fault;
  }
  /** A fault of `kind` wherever it points (for faults not tied to a record), consuming one of its `times`. */
  takeKind(kind: FaultKind): ScenarioFault | undefined {
    const e = this.left.find((x) => x.fault.kind === kind && x.left > 0);
    if (!e) return undefined;
    e.left--;
    return e.fault;
  }
}

/** What every simulated cable meter runs on: its port, its scenario, the faults, noise and clock it plays. */
export abstract class ScenarioMeter<P> {
  protected readonly port: P;
  protected readonly scenario: Scenario;
  protected readonly faults: FaultPlan;
  protected readonly noise: (n: number) => Buffer;
  protected readonly clock: () => string;

  constructor(port: P, scenario: Scenario) {
    this.port = port;
    this.scenario = scenario;
    this.faults = new FaultPlan(scenario.faults);
    this.noise = noiseSource(scenario.seed ?? 1);
    this.clock = meterClock(scenario.clock);
  }
}
