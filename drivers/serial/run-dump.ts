// Runs one meter dump end to end: open the port, then the visit's steps (drivers/visit.ts): connect → read
// config/clock → fetch → hand over (processed into Readings) → disconnect → close. Whatever was complete and
// verified when a dump fails is still handed over; nothing partial or corrupt ever is.
import type { ReadingPort } from '../../gateway/ingest/port.ts';
import { AstmContourSession, ASTM_BAUD_RATE } from './astm-session.ts';
import { assertTimeZone } from './local-time.ts';
import { MeterError } from './meter-error.ts';
import { deviceInfoFor } from './meter-readings.ts';
import type {
  FetchProgress,
  MeterConfig,
  SerialProtocol,
  SessionFactory,
  SessionOptions,
} from './meter-session.ts';
import { DEFAULT_SESSION_OPTIONS } from './meter-session.ts';
import { OneTouchUltra2Session, ULTRA2_BAUD_RATE } from './onetouch-ultra2-session.ts';
import { OneTouchUltraEasySession, ULTRAEASY_BAUD_RATE } from './onetouch-ultraeasy-session.ts';
import { MeterVisit, type MeterDumpResult } from './meter-visit.ts';
import { SerialLink } from './serial-link.ts';
import { runVisit } from '../visit.ts';

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

export type DumpResult = MeterDumpResult<SerialProtocol>;

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
  const visit = new MeterVisit(
    link,
    entry.factory(link, sessionOpts),
    (c) => deviceInfoFor(opts.protocol, c),
    opts,
  );
  try {
    await runVisit(visit, opts.port, sessionOpts.now);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  return visit.result;
}
