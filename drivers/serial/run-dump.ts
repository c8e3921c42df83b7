// Runs one meter dump end to end: open the port, then the visit's steps (drivers/visit.ts): connect → read
// config/clock → fetch → hand over (processed into Readings) → disconnect → close. Whatever was complete and
// verified when a dump fails is still handed over; nothing partial or corrupt ever is.
import type { ReadingPort } from '../../gateway/ingest/port.ts';
import type { IngestRejection } from '../../gateway/readings/reading.ts';
import { AstmContourSession, ASTM_BAUD_RATE } from './astm-session.ts';
import { assertTimeZone } from './local-time.ts';
import { MeterError } from './meter-error.ts';
import { deviceInfoFor, processRecords } from './meter-readings.ts';
import type {
  FetchProgress,
  MeterConfig,
  MeterRecord,
  MeterSession,
  SerialProtocol,
  SessionFactory,
  SessionOptions,
} from './meter-session.ts';
import { DEFAULT_SESSION_OPTIONS } from './meter-session.ts';
import { OneTouchUltra2Session, ULTRA2_BAUD_RATE } from './onetouch-ultra2-session.ts';
import { OneTouchUltraEasySession, ULTRAEASY_BAUD_RATE } from './onetouch-ultraeasy-session.ts';
import { SerialLink } from './serial-link.ts';
import { runVisit, type DeviceVisit, type VisitOutcome } from '../visit.ts';

export const SESSIONS: Record<SerialProtocol, { factory: SessionFactory; baudRate: number }> = {
  'onetouch-ultra2': { factory: (l, o) => new OneTouchUltra2Session(l, o), baudRate: ULTRA2_BAUD_RATE },
  'onetouch-ultraeasy': {
    factory: (l, o) => new OneTouchUltraEasySession(l, o),
    baudRate: ULTRAEASY_BAUD_RATE,
  },
  astm: { factory: (l, o) => new AstmContourSession(l, o), baudRate: ASTM_BAUD_RATE },
};

export interface DumpOptions {
  path: string;
  protocol: SerialProtocol;
  /** Where the readings go (the core's port). */
  port: ReadingPort;
  /** IANA zone the meter clock is set to (e.g. `Europe/Berlin`). */
  timeZone: string;
  baudRate?: number;
  session?: Partial<SessionOptions>;
  onConfig?: (config: MeterConfig) => void;
  onProgress?: FetchProgress;
  /** Aborting (the port disappeared, the gateway stops) closes the port: the dump ends as ERR_PORT_CLOSED. */
  signal?: AbortSignal;
}

export interface DumpResult {
  protocol: SerialProtocol;
  config?: MeterConfig;
  deviceKey?: string;
  /** Complete, verified records received. */
  read: number;
  stored: number;
  duplicates: number;
  /** Older than the historic data period: not stored again (they were or would be purged). */
  expired: number;
  /** Records kept out of the store, by the driver (unusable) or by ingest (invalid). */
  rejected: IngestRejection[];
  /** Why the dump did not finish; absent when it did. */
  error?: MeterError;
}

export async function dumpMeter(opts: DumpOptions): Promise<DumpResult> {
  assertTimeZone(opts.timeZone);
  const entry = SESSIONS[opts.protocol];
  if (!entry) throw new MeterError('ERR_PROTOCOL', `unknown protocol ${JSON.stringify(opts.protocol)}`);
  const sessionOpts: SessionOptions = {
    ...DEFAULT_SESSION_OPTIONS,
    ...opts.session,
    timeouts: { ...DEFAULT_SESSION_OPTIONS.timeouts, ...opts.session?.timeouts },
  };
  if (opts.signal?.aborted) throw new MeterError('ERR_PORT_CLOSED', `${opts.path}: aborted before opening`);
  // The transport's link is open before the visit, as a BLE link is connected before its driver runs.
  const link = await SerialLink.open({ path: opts.path, baudRate: opts.baudRate ?? entry.baudRate });
  const onAbort = (): void => void link.close();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const visit = new MeterVisit(link, entry.factory(link, sessionOpts), opts);
  try {
    await runVisit(visit, opts.port, sessionOpts.now);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  return visit.result;
}

/** A serial meter's visit: the session's protocol steps, records processed into Readings at the hand-over. */
class MeterVisit implements DeviceVisit {
  readonly result: DumpResult;
  private pending: MeterRecord[] = [];

  constructor(
    private readonly link: SerialLink,
    private readonly session: MeterSession,
    private readonly opts: DumpOptions,
  ) {
    this.result = { protocol: opts.protocol, read: 0, stored: 0, duplicates: 0, expired: 0, rejected: [] };
  }

  get deviceKey(): string | undefined {
    return this.result.deviceKey;
  }

  connect(): Promise<void> {
    return this.session.connect();
  }

  async readConfig(): Promise<void> {
    const config = await this.session.readConfig();
    this.result.config = config;
    this.result.deviceKey = deviceInfoFor(this.opts.protocol, config).key;
    this.opts.onConfig?.(config);
  }

  fetch(): Promise<void> {
    return this.session.fetch((r) => {
      this.result.read++;
      this.pending.push(r);
    }, this.opts.onProgress);
  }

  /** Complete records only; a store failure propagates (the meter keeps them for the next dump). */
  handOver(): void {
    const config = this.result.config;
    if (!config || this.pending.length === 0) return;
    const records = this.pending;
    this.pending = [];
    const processed = processRecords(this.opts.protocol, config, records, this.opts.timeZone);
    for (const u of processed.unusable) this.result.rejected.push({ index: -1, reason: u.reason });
    const ingested = this.opts.port.push(processed.readings);
    this.result.stored += ingested.stored;
    this.result.duplicates += ingested.duplicates;
    this.result.expired += ingested.expired ?? 0;
    this.result.rejected.push(...ingested.rejected);
  }

  async afterSync(): Promise<VisitOutcome> {
    return 'synced';
  }

  /** A meter error ends the dump with what was complete; anything else is a fault of ours and propagates. */
  async failed(err: unknown): Promise<VisitOutcome> {
    if (!(err instanceof MeterError)) throw err;
    this.result.error = err;
    return 'failed';
  }

  async release(): Promise<void> {
    await this.session.disconnect();
    await this.link.close();
  }
}
