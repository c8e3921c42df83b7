// Glucose meters (GLS 0x1808, spec B.5): subscribe to Glucose Measurement, Context (when present) and RACP; read
// the Glucose Feature, the vendor quirks that apply (quirks.ts) and the meter's clock (meter-clock.ts); look at
// the meter's record store to notice a sequence reset (gls-position.ts); ask RACP for "sequence ≥ last stored + 1"
// (or all on first contact, after a reset, and on meters whose numbering identifies nothing); pair each
// measurement with the context that follows it; then hang up (meters sleep between uses) or stay for live
// measurements when ble.meterResyncMs is 0.
import { CodecError } from '../codecs/codec-error.ts';
import { decodeGlucoseContext, type GlucoseContext } from '../codecs/glucose-context.ts';
import { decodeGlucoseFeature } from '../codecs/glucose-feature.ts';
import { decodeGlucoseMeasurement, type GlucoseMeasurement } from '../codecs/glucose-measurement.ts';
import { DeviceDriver, type DeviceIdentity, type DriverDeps } from './device-driver.ts';
import { findPosition } from './gls-position.ts';
import type { ProbeChannel } from './gls-probe.ts';
import { glucoseToReading } from './glucose-records.ts';
import { maybeSetMeterClock, readMeterClock, type ClockOptions } from './meter-clock.ts';
import { MeterMemory } from './meter-memory.ts';
import { PacedRacp } from './paced-racp.ts';
import { resolveQuirks, STANDARD_BEHAVIOUR, type MeterBehaviour } from './quirks.ts';
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
  private racpClient: RacpClient | null = null;
  private racp: PacedRacp | null = null;
  private waiting: Waiting | null = null;
  private features = 0;
  private behaviour: MeterBehaviour = STANDARD_BEHAVIOUR;
  /** Hub clock minus meter clock, measured this visit (0 when the meter's clock cannot be read). */
  private clockOffsetMs = 0;
  /** The sequence epoch records are stored in (sequence-reset.ts). */
  private epoch = 0;
  /** Records of a probe request, held back from ingest; null while not probing. */
  private held: GlucoseMeasurement[] | null = null;
  private readonly heldSeqs = new Set<number>();
  private readonly companyId: number | undefined;

  constructor(deps: DriverDeps, id: DeviceIdentity) {
    super(deps, id, 'bgm');
    this.companyId = id.companyId;
  }

  protected async subscribe(link: GattLink): Promise<void> {
    await link.subscribe(SERVICE.glucose, CHAR.glucoseMeasurement, (v) => this.onMeasurement(v));
    if (link.has(SERVICE.glucose, CHAR.glucoseContext))
      await link.subscribe(SERVICE.glucose, CHAR.glucoseContext, (v) => this.onContext(v));
    this.racpClient = new RacpClient(link, SERVICE.glucose, 'gls', this.deps.config.racpTimeoutMs);
    await this.racpClient.subscribe();
  }

  protected async readFamilyConfig(link: GattLink): Promise<void> {
    if (link.has(SERVICE.glucose, CHAR.glucoseFeature)) {
      this.features = decodeGlucoseFeature(await link.read(SERVICE.glucose, CHAR.glucoseFeature)).features;
    }
    const { behaviour, applied } = resolveQuirks({
      ...this.device,
      ...(this.companyId !== undefined ? { companyId: this.companyId } : {}),
    });
    this.behaviour = behaviour;
    if (this.racpClient) {
      this.racp = new PacedRacp(this.racpClient, {
        address: this.device.key.replace(/^ble:/, ''),
        settleMs: behaviour.racpSettleMs,
        needsBond: behaviour.racpNeedsBond,
      });
    }
    await this.readClock(link);
    this.log.info(
      { features: this.features, quirks: applied, clockOffsetMs: this.clockOffsetMs },
      'glucose meter read',
    );
    // the settle time counts from the last exchange before the first RACP request
    this.racp?.markReady();
  }

  private async readClock(link: GattLink): Promise<void> {
    const o: ClockOptions = {
      timeZone: this.deps.timeZone,
      now: () => this.now(),
      log: this.log,
      setPolicy: this.deps.config.setMeterClock,
      toleranceSeconds: this.deps.config.meterClockToleranceSeconds,
    };
    const clock = await readMeterClock(link, this.behaviour.clock, o);
    if (!clock) {
      this.log.info({ clock: this.behaviour.clock }, 'meter clock not readable; readings carry offset 0');
      return;
    }
    this.clockOffsetMs = clock.offsetMs;
    await maybeSetMeterClock(link, clock, o);
  }

  protected async fetchRecords(): Promise<void> {
    const racp = this.racp;
    if (!racp) return;
    let request;
    if (this.behaviour.sequence === 'reversed') {
      // the numbers move with every new record: read everything, ingest keeps each record once by its time
      request = reportFrom(null, 'sequence-number');
    } else {
      const position = await findPosition({
        deviceKey: this.device.key,
        port: this.deps.port,
        memory: (this.deps.meterMemory ??= new MeterMemory(null)),
        channel: this.probeChannel(racp),
        log: this.log,
        now: this.now(),
      });
      this.epoch = position.epoch;
      request = reportFrom(position.lastSeq === null ? null : position.lastSeq + 1, 'sequence-number');
    }
    if (!request) return;
    const answer = await racp.request(request);
    this.releaseWaiting();
    if (
      answer.opCode === 'response-code' &&
      answer.response !== 'success' &&
      answer.response !== 'no-records-found'
    )
      this.log.warn({ response: answer.response }, 'RACP report ended without success');
  }

  private probeChannel(racp: PacedRacp): ProbeChannel {
    return {
      request: (req) => racp.request(req),
      capture: () => {
        this.held = [];
        this.heldSeqs.clear();
        return () => {
          const records = this.held ?? [];
          this.held = null;
          return records;
        };
      },
    };
  }

  protected override hangUpAfterSync(): boolean {
    return this.deps.config.meterResyncMs > 0;
  }

  protected override onLinkDown(): void {
    this.releaseWaiting();
    super.onLinkDown();
  }

  private onMeasurement(value: Buffer): void {
    this.racpClient?.touch();
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
    if (this.held) {
      this.held.push(m);
      this.heldSeqs.add(m.sequenceNumber);
      return;
    }
    if (!m.contextFollows) {
      this.emit(m, raw);
      return;
    }
    this.waiting = { m, raw, timer: setTimeout(() => this.releaseWaiting(), CONTEXT_WAIT_MS) };
  }

  private onContext(value: Buffer): void {
    this.racpClient?.touch();
    const raw = value.toString('hex');
    let context: GlucoseContext;
    try {
      context = decodeGlucoseContext(value);
    } catch (err) {
      const detail = err instanceof CodecError ? `${err.code}: ${err.message}` : String(err);
      this.refuse([{ reason: 'malformed', detail, raw }]);
      return;
    }
    const seq = context.sequenceNumber;
    const w = this.waiting;
    if (!w && this.heldSeqs.has(seq)) return; // the context of a probed record
    if (!w || w.m.sequenceNumber !== seq) {
      this.refuse([
        { reason: 'orphan-context', detail: `context for sequence ${seq} without its measurement`, raw },
      ]);
      return;
    }
    clearTimeout(w.timer);
    this.waiting = null;
    this.emit(w.m, w.raw, { raw, context });
  }

  /** Hands over a measurement still waiting for its context, without it. */
  private releaseWaiting(): void {
    const w = this.waiting;
    if (!w) return;
    clearTimeout(w.timer);
    this.waiting = null;
    this.emit(w.m, w.raw);
  }

  private emit(m: GlucoseMeasurement, raw: string, ctx?: { raw: string; context: GlucoseContext }): void {
    const ketoneMeal = this.behaviour.ketoneMeal;
    const out = glucoseToReading(m, ctx ? { measurement: raw, context: ctx.raw } : { measurement: raw }, {
      device: this.device,
      timeZone: this.deps.timeZone,
      clockOffsetMs: this.clockOffsetMs,
      epoch: this.epoch,
      identityBy: this.behaviour.sequence === 'reversed' ? 'time' : 'sequence',
      ketone: ketoneMeal !== null && ctx?.context.meal === ketoneMeal,
      receivedAt: new Date().toISOString(),
    });
    if ('refused' in out) this.refuse([out.refused]);
    else this.pushReadings([out.reading]);
  }
}
