// Runs checks one at a time and keeps their results. While a check runs, every HTTP exchange of the probe
// becomes its evidence; a check may also cite exchanges made earlier (the token response a claim comes from).
// A check that never ran (its group stopped: no pairing, option not given) is reported as skipped with the
// reason its group gave, so the report always lists every check of the kit.
import {
  CheckFailed,
  CheckSkipped,
  type CheckResult,
  type CheckSpec,
  type Exchange,
  type Status,
} from './check.ts';
import type { Probe } from './http.ts';

export interface CheckRun {
  /** Adds an exchange made before this check to its evidence. */
  cite(...exchanges: Array<Exchange | undefined>): void;
  /** A note shown with the result (what was compared, how many resources). */
  note(text: string): void;
}

export class Recorder {
  private readonly results = new Map<string, CheckResult>();
  private current: Exchange[] | undefined;
  /** Every exchange of the run, in order. */
  readonly all: Exchange[] = [];
  /** Exchanges of the last check, for a group's later checks that rest on the same requests. */
  lastEvidence: Exchange[] = [];

  private readonly log: (line: string) => void;

  constructor(probe: Probe, log: (line: string) => void = () => undefined) {
    this.log = log;
    probe.onExchange = (e) => {
      this.all.push(e);
      this.current?.push(e);
    };
  }

  /** Runs one check; its function throws CheckFailed/CheckSkipped (via fail()/skip()) or returns a detail. */
  async check(
    spec: CheckSpec,
    fn: (run: CheckRun) => Promise<string | void> | string | void,
  ): Promise<Status> {
    if (this.results.has(spec.id)) throw new Error(`check ${spec.id} ran twice`);
    const evidence: Exchange[] = [];
    const notes: string[] = [];
    const run: CheckRun = {
      cite: (...xs) => {
        for (const x of xs) if (x && !evidence.includes(x)) evidence.push(x);
      },
      note: (t) => notes.push(t),
    };
    const outer = this.current;
    this.current = evidence;
    const started = performance.now();
    let status: Status;
    let detail: string;
    try {
      detail = (await fn(run)) ?? 'as required';
      status = 'pass';
    } catch (err) {
      if (err instanceof CheckFailed) status = 'fail';
      else if (err instanceof CheckSkipped) status = 'skip';
      else status = 'fail';
      detail =
        err instanceof CheckFailed || err instanceof CheckSkipped
          ? err.message
          : `the check could not run to its end: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      this.current = outer;
    }
    if (notes.length > 0) detail = `${detail} (${notes.join('; ')})`;
    this.lastEvidence = evidence;
    const result: CheckResult = {
      ...spec,
      status,
      detail,
      evidence,
      durationMs: Math.round(performance.now() - started),
    };
    this.results.set(spec.id, result);
    this.log(`${status.padEnd(4)} ${spec.level.padEnd(6)} ${spec.id}: ${detail}`);
    return status;
  }

  /** Marks checks that did not run as skipped (a group could not start or stopped early). */
  skipAll(specs: Iterable<CheckSpec>, reason: string): void {
    for (const spec of specs) {
      if (this.results.has(spec.id)) continue;
      this.results.set(spec.id, { ...spec, status: 'skip', detail: reason, evidence: [], durationMs: 0 });
      this.log(`skip ${spec.level.padEnd(6)} ${spec.id}: ${reason}`);
    }
  }

  has(id: string): boolean {
    return this.results.has(id);
  }

  statusOf(id: string): Status | undefined {
    return this.results.get(id)?.status;
  }

  /** Results in the order of `catalog` (every check of the kit), unreached ones as skipped. */
  finish(catalog: CheckSpec[]): CheckResult[] {
    this.skipAll(catalog, 'not reached in this run');
    return catalog.map((c) => this.results.get(c.id)!);
  }
}
