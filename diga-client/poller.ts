// One poll cycle in HDDT's pattern (spec/hddt.md §1.2–1.3, measurement-cgm.md):
//   CGM: re-read each known `preliminary` chunk until it is `final`, then search `date=gt<end>` of the latest
//        chunk for newer ones;
//   BG:  search `date=gt<latest effectiveDateTime>`;
//   both: `_lastUpdated=gt<server time of the previous cycle>` to catch chunks and readings that were
//        backfilled into the past (a meter synced late, a CGM reconnected after a gap);
// every search with `_include=Observation:device` and `_include:iterate=DeviceMetric:source`, so the
// DeviceMetric and Device of each Observation arrive with it. Everything goes to the JSON lines sink.
// The state (watermarks, open chunks) is saved after each cycle, so the next run continues where this
// one stopped.
import { DigaClientError } from './errors.ts';
import { readJson, writeJsonPrivate } from './files.ts';
import type { Bundle, FhirClient, FhirResource } from './fhir.ts';
import { codeParam, mivOfObservation, type Miv } from './hddt.ts';
import type { JsonlSink } from './output.ts';
import { resourceKey } from './output.ts';

export interface PollState {
  /** Server time (Bundle.meta.lastUpdated) of the previous cycle's first search. */
  watermark?: string;
  cgm: {
    /** End of the latest chunk seen. */
    lastEnd?: string;
    /** Chunks seen as `preliminary`: id → period end. */
    preliminary: Record<string, string>;
  };
  bg: { lastDate?: string };
}

export interface PollReport {
  /** Resource versions written to the output, by kind. */
  written: { cgm: number; bg: number; device: number; deviceMetric: number; other: number };
  /** Chunks seen turning from preliminary to final in this cycle. */
  finalized: string[];
  /** Resource versions first seen through the `_lastUpdated` search (backfilled into the past). */
  backfilled: string[];
  /** Chunks still preliminary after this cycle. */
  openChunks: number;
  requests: number;
}

export interface PollerOptions {
  fhir: FhirClient;
  sink: JsonlSink;
  stateFile: string;
  /** Granted MIVs (from the token's scope). */
  mivs: readonly Miv[];
  /** First cycle: how far back (days) to search. */
  sinceDays?: number;
  /** Overlap subtracted from the watermark against clock granularity (duplicates are dropped anyway). */
  overlapMs?: number;
  pageSize?: number;
  now?: () => number;
}

const INCLUDES: Array<[string, string]> = [
  ['_include', 'Observation:device'],
  ['_include:iterate', 'DeviceMetric:source'],
];

function emptyState(): PollState {
  return { cgm: { preliminary: {} }, bg: {} };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function periodEnd(r: FhirResource): string | undefined {
  return (r.effectivePeriod as { end?: string } | undefined)?.end;
}

function later(a: string | undefined, b: string | undefined): string | undefined {
  if (!a) return b;
  if (!b) return a;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

/** What one cycle counts and learns while it reads; the state it advances is the poller's. */
class Cycle {
  readonly report: PollReport = {
    written: { cgm: 0, bg: 0, device: 0, deviceMetric: 0, other: 0 },
    finalized: [],
    backfilled: [],
    openChunks: 0,
    requests: 0,
  };
  /** Bundle.meta.lastUpdated of the cycle's first search: the next watermark. */
  firstServerTime: string | undefined;

  private readonly o: PollerOptions;
  private readonly st: PollState;

  constructor(o: PollerOptions, st: PollState) {
    this.o = o;
    this.st = st;
  }

  /** Writes a resource version unless already written; counts it by kind. */
  take(r: FhirResource): boolean {
    if (!this.o.sink.write(r)) return false;
    const { written } = this.report;
    if (r.resourceType === 'Observation') {
      const miv = mivOfObservation(r as { code?: { coding?: Array<{ code?: string }> } });
      if (miv === 'cgm') written.cgm++;
      else if (miv === 'bloodGlucose') written.bg++;
      else written.other++;
    } else if (r.resourceType === 'Device') written.device++;
    else if (r.resourceType === 'DeviceMetric') written.deviceMetric++;
    else written.other++;
    return true;
  }

  /** Moves the watermarks and the open chunks on by what an Observation says. */
  observe(r: FhirResource): void {
    if (r.resourceType !== 'Observation' || !r.id) return;
    const { st } = this;
    const miv = mivOfObservation(r as { code?: { coding?: Array<{ code?: string }> } });
    if (miv === 'cgm') {
      const end = periodEnd(r);
      st.cgm.lastEnd = later(st.cgm.lastEnd, end);
      if (r.status === 'preliminary' && end) st.cgm.preliminary[r.id] = end;
      else if (st.cgm.preliminary[r.id] !== undefined) {
        delete st.cgm.preliminary[r.id];
        this.report.finalized.push(r.id);
      }
    } else if (miv === 'bloodGlucose') {
      st.bg.lastDate = later(st.bg.lastDate, r.effectiveDateTime as string | undefined);
    }
  }

  /** One Observation search to its last page, with the includes; `onNew` hears each version first written. */
  async search(params: Array<[string, string]>, onNew?: (r: FhirResource) => void): Promise<void> {
    const pages: Bundle[] = await this.o.fhir.searchAll('Observation', [
      ...params,
      ...INCLUDES,
      ['_count', String(this.o.pageSize ?? 500)],
    ]);
    this.report.requests += pages.length;
    this.firstServerTime ??= pages[0]?.meta?.lastUpdated;
    for (const page of pages) {
      for (const e of page.entry ?? []) {
        const r = e.resource;
        if (!r || r.resourceType === 'OperationOutcome') continue;
        if (this.take(r)) onNew?.(r);
        this.observe(r);
      }
    }
  }

  /** Re-reads each chunk still open until it is final; one that is gone is no longer followed. */
  async reReadOpen(): Promise<void> {
    const { st } = this;
    for (const id of Object.keys(st.cgm.preliminary)) {
      let r: FhirResource;
      try {
        r = await this.o.fhir.get(`Observation/${encodeURIComponent(id)}`);
      } catch (err) {
        // Gone (purged past the historic period, or no longer granted): stop following it.
        if (err instanceof DigaClientError && err.httpStatus === 404) {
          delete st.cgm.preliminary[id];
          continue;
        }
        throw err;
      }
      this.report.requests++;
      this.take(r);
      this.observe(r);
    }
  }
}

export class Poller {
  private state: PollState;

  private readonly o: PollerOptions;

  constructor(o: PollerOptions) {
    this.o = o;
    this.state = readJson<PollState>(o.stateFile) ?? emptyState();
  }

  get current(): Readonly<PollState> {
    return this.state;
  }

  async pollOnce(): Promise<PollReport> {
    const st = this.state;
    const cycle = new Cycle(this.o, st);
    // Searches first (their server time is the next watermark), then the re-reads.
    const openBefore = new Set(Object.keys(st.cgm.preliminary));
    await this.searchNewer(cycle);
    if (st.watermark) {
      const from = iso(Date.parse(st.watermark) - (this.o.overlapMs ?? 5000));
      await cycle.search(
        [
          ['code', this.o.mivs.map(codeParam).join(',')],
          ['_lastUpdated', `gt${from}`],
        ],
        // A new version of an open chunk is its normal growth, not a backfill.
        (r) => {
          if (r.resourceType === 'Observation' && !openBefore.has(r.id ?? ''))
            cycle.report.backfilled.push(resourceKey(r));
        },
      );
    }
    await cycle.reReadOpen();
    cycle.report.openChunks = Object.keys(st.cgm.preliminary).length;
    st.watermark = cycle.firstServerTime ?? st.watermark;
    writeJsonPrivate(this.o.stateFile, st);
    return cycle.report;
  }

  /** Per granted MIV: what is dated after the latest seen (on the first cycle, the last `sinceDays`). */
  private async searchNewer(cycle: Cycle): Promise<void> {
    const { mivs } = this.o;
    const st = this.state;
    const now = this.o.now ?? Date.now;
    const since = iso(now() - (this.o.sinceDays ?? 30) * 86_400_000);
    if (mivs.includes('cgm')) {
      await cycle.search([
        ['code', codeParam('cgm')],
        ['date', st.cgm.lastEnd ? `gt${st.cgm.lastEnd}` : `ge${since}`],
      ]);
    }
    if (mivs.includes('bloodGlucose')) {
      await cycle.search([
        ['code', codeParam('bloodGlucose')],
        ['date', st.bg.lastDate ? `gt${st.bg.lastDate}` : `ge${since}`],
      ]);
    }
  }
}
