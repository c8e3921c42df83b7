// Glucose meters (GLS 0x1808, spec B.5): subscribe to Glucose Measurement, Context (when present) and RACP,
// read the Glucose Feature, ask RACP for "sequence ≥ last stored + 1" (or all on first contact), pair each
// measurement with the context that follows it, then hang up (meters sleep between uses) or stay for live
// measurements when ble.meterResyncMs is 0.
import { CodecError } from '../codecs/codec-error.ts';
import { decodeGlucoseContext } from '../codecs/glucose-context.ts';
import { decodeGlucoseFeature } from '../codecs/glucose-feature.ts';
import { decodeGlucoseMeasurement, type GlucoseMeasurement } from '../codecs/glucose-measurement.ts';
import { DeviceDriver, type DeviceIdentity, type DriverDeps } from './device-driver.ts';
import { glucoseToReading } from './glucose-records.ts';
import { RacpClient, reportFrom } from './racp-client.ts';
import type { GattLink } from './transport.ts';
import { CHAR, SERVICE } from './uuids.ts';

/** How long a measurement that announced a context waits for it (it normally follows at once). */
const CONTEXT_WAIT_MS = 500;

interface Waiting {
  m: GlucoseMeasurement;
  raw: string;
  timer: NodeJS.Timeout;
}

export class GlucoseMeterDriver extends DeviceDriver {
  readonly service = SERVICE.glucose;
  private racp: RacpClient | null = null;
  private waiting: Waiting | null = null;
  private features = 0;

  constructor(deps: DriverDeps, id: DeviceIdentity) {
    super(deps, id, 'bgm');
  }

  protected async subscribe(link: GattLink): Promise<void> {
    await link.subscribe(SERVICE.glucose, CHAR.glucoseMeasurement, (v) => this.onMeasurement(v));
    if (link.has(SERVICE.glucose, CHAR.glucoseContext))
      await link.subscribe(SERVICE.glucose, CHAR.glucoseContext, (v) => this.onContext(v));
    this.racp = new RacpClient(link, SERVICE.glucose, 'gls', this.deps.config.racpTimeoutMs);
    await this.racp.subscribe();
  }

  protected async readFamilyConfig(link: GattLink): Promise<void> {
    if (link.has(SERVICE.glucose, CHAR.glucoseFeature)) {
      this.features = decodeGlucoseFeature(await link.read(SERVICE.glucose, CHAR.glucoseFeature)).features;
    }
    this.log.info({ features: this.features }, 'glucose meter read');
  }

  protected async fetchRecords(): Promise<void> {
    if (!this.racp) return;
    const last = this.deps.port.lastRecordNumber(this.device.key);
    const request = reportFrom(last === null ? null : last + 1, 'sequence-number');
    if (!request) return;
    const answer = await this.racp.request(request);
    this.releaseWaiting();
    if (
      answer.opCode === 'response-code' &&
      answer.response !== 'success' &&
      answer.response !== 'no-records-found'
    )
      this.log.warn({ response: answer.response }, 'RACP report ended without success');
  }

  protected override hangUpAfterSync(): boolean {
    return this.deps.config.meterResyncMs > 0;
  }

  protected override onLinkDown(): void {
    this.releaseWaiting();
    super.onLinkDown();
  }

  private onMeasurement(value: Buffer): void {
    this.racp?.touch();
    this.releaseWaiting(); // a new measurement: the previous one gets no context any more
    const raw = value.toString('hex');
    let m: GlucoseMeasurement;
    try {
      m = decodeGlucoseMeasurement(value);
    } catch (err) {
      const detail = err instanceof CodecError ? `${err.code}: ${err.message}` : String(err);
      this.refuse([{ reason: 'malformed', detail, raw }]);
      return;
    }
    if (!m.contextFollows) {
      this.emit(m, raw);
      return;
    }
    this.waiting = { m, raw, timer: setTimeout(() => this.releaseWaiting(), CONTEXT_WAIT_MS) };
  }

  private onContext(value: Buffer): void {
    this.racp?.touch();
    const raw = value.toString('hex');
    let seq: number;
    try {
      seq = decodeGlucoseContext(value).sequenceNumber;
    } catch (err) {
      const detail = err instanceof CodecError ? `${err.code}: ${err.message}` : String(err);
      this.refuse([{ reason: 'malformed', detail, raw }]);
      return;
    }
    const w = this.waiting;
    if (!w || w.m.sequenceNumber !== seq) {
      this.refuse([
        { reason: 'orphan-context', detail: `context for sequence ${seq} without its measurement`, raw },
      ]);
      return;
    }
    clearTimeout(w.timer);
    this.waiting = null;
    this.emit(w.m, w.raw, raw);
  }

  /** Hands over a measurement still waiting for its context, without it. */
  private releaseWaiting(): void {
    const w = this.waiting;
    if (!w) return;
    clearTimeout(w.timer);
    this.waiting = null;
    this.emit(w.m, w.raw);
  }

  private emit(m: GlucoseMeasurement, raw: string, context?: string): void {
    const out = glucoseToReading(m, context ? { measurement: raw, context } : { measurement: raw }, {
      device: this.device,
      timeZone: this.deps.timeZone,
      clockOffsetMs: 0,
      receivedAt: new Date().toISOString(),
    });
    if ('refused' in out) this.refuse([out.refused]);
    else this.pushReadings([out.reading]);
  }
}
