// One visit to a device, the same steps for every transport (after Tidepool's drivers): connect → read the
// configuration and clock → fetch what is missing → hand over → hang up or stay for live values. A driver
// fills in the steps; this sequence is the only one, so adding a meter is adding a driver, not a pipeline.
import type { ReadingPort } from '../gateway/ingest/port.ts';

/** How a visit ended: fetched everything and hung up, the link went down, or a step failed. */
export type VisitOutcome = 'synced' | 'disconnected' | 'failed';

export interface DeviceVisit {
  /** The device key, known once readConfig has run. */
  readonly deviceKey: string | undefined;
  /** Open the link, wake the meter, subscribe to what the device notifies. */
  connect(): Promise<void>;
  /** Configuration, identity and the device clock. */
  readConfig(): Promise<void>;
  /** Everything the core does not have yet (the driver asks the port for the last record it holds); complete
   * records may be handed over on the way. */
  fetch(): Promise<void>;
  /** Hands over what was fetched and not yet handed over. Never throws. */
  handOver(): void;
  /** After a complete fetch: hang up ('synced'), or stay for live values until the link ends. */
  afterSync(): Promise<VisitOutcome>;
  /** A step failed: what it means for this transport (the link was lost, or a real failure). */
  failed(err: unknown): Promise<VisitOutcome>;
  /** Leaves the device in a sane state and lets go of the link; never throws. */
  release(): Promise<void>;
}

export async function runVisit(
  visit: DeviceVisit,
  port: ReadingPort,
  now: () => Date = () => new Date(),
): Promise<VisitOutcome> {
  try {
    await visit.connect();
    await visit.readConfig();
    // The device answered: a connection without new records still counts as a sync.
    if (visit.deviceKey !== undefined) port.deviceSeen(visit.deviceKey, now());
    await visit.fetch();
    visit.handOver();
    return await visit.afterSync();
  } catch (err) {
    return await visit.failed(err);
  } finally {
    // Whatever was complete is stored, however the visit ended.
    visit.handOver();
    await visit.release();
  }
}
