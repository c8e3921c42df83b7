// Runs one meter dump end to end: open port → connect → read config/clock → fetch → process → hand over
// (ingest) → disconnect → close. Whatever was complete and verified when a dump fails is still handed over;
// nothing partial or corrupt ever is.
import { ingest, type IngestOptions } from '../../gateway/readings/ingest.ts';
import type { IngestRejection } from '../../gateway/readings/reading.ts';
import type { Store } from '../../gateway/store/store.ts';
import { AstmContourSession, ASTM_BAUD_RATE } from './astm-session.ts';
import { assertTimeZone } from './local-time.ts';
import { MeterError } from './meter-error.ts';
import { deviceInfoFor, processRecords } from './meter-readings.ts';
import type {
  FetchProgress,
  MeterConfig,
  MeterRecord,
  SerialProtocol,
  SessionFactory,
  SessionOptions,
} from './meter-session.ts';
import { DEFAULT_SESSION_OPTIONS } from './meter-session.ts';
import { OneTouchUltra2Session, ULTRA2_BAUD_RATE } from './onetouch-ultra2-session.ts';
import { OneTouchUltraEasySession, ULTRAEASY_BAUD_RATE } from './onetouch-ultraeasy-session.ts';
import { SerialLink } from './serial-link.ts';

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
  store: Store;
  /** IANA zone the meter clock is set to (e.g. `Europe/Berlin`). */
  timeZone: string;
  baudRate?: number;
  session?: Partial<SessionOptions>;
  /** Passed to ingest (mapping options, a pinned clock). */
  ingest?: IngestOptions;
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
  const result: DumpResult = { protocol: opts.protocol, read: 0, stored: 0, duplicates: 0, rejected: [] };
  if (opts.signal?.aborted) throw new MeterError('ERR_PORT_CLOSED', `${opts.path}: aborted before opening`);
  const link = await SerialLink.open({ path: opts.path, baudRate: opts.baudRate ?? entry.baudRate });
  const onAbort = (): void => void link.close();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const session = entry.factory(link, sessionOpts);
  const records: MeterRecord[] = [];
  try {
    try {
      await session.connect();
      result.config = await session.readConfig();
      result.deviceKey = deviceInfoFor(opts.protocol, result.config).key;
      opts.onConfig?.(result.config);
      await session.fetch((r) => records.push(r), opts.onProgress);
    } catch (err) {
      if (!(err instanceof MeterError)) throw err;
      result.error = err;
    }
    result.read = records.length;
    if (result.config && records.length > 0) {
      const processed = processRecords(opts.protocol, result.config, records, opts.timeZone);
      for (const u of processed.unusable) result.rejected.push({ index: -1, reason: u.reason });
      const ingested = ingest(opts.store, processed.readings, opts.ingest);
      result.stored = ingested.stored;
      result.duplicates = ingested.duplicates;
      result.rejected.push(...ingested.rejected);
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await session.disconnect();
    await link.close();
  }
  return result;
}
