// CGM sensors (CGMS 0x181F, spec A): subscribe to CGM Measurement and RACP, read Feature (E2E-CRC, sample
// type), Session Start Time (the time base: record time = start + offset minutes), Session Run Time (expiry)
// and Status (the sensor's "now", for the clock offset), backfill with RACP "time offset ≥ last stored + 1",
// then stay connected for live values.
import { GatewayError } from '../../lib/errors.ts';
import { cgmSupportsE2eCrc, decodeCgmFeature } from '../codecs/cgm-feature.ts';
import { decodeCgmSessionRunTime } from '../codecs/cgm-session-run-time.ts';
import {
  cgmSessionStartTimeAt,
  cgmSessionStartToUtcIso,
  decodeCgmSessionStartTime,
  encodeCgmSessionStartTime,
  type DstOffsetMinutes,
} from '../codecs/cgm-session-start-time.ts';
import { decodeCgmStatus } from '../codecs/cgm-status.ts';
import { dateTimeToEpochMs, isDateKnown } from '../codecs/date-time.ts';
import type { Reading, SensorSession, Specimen } from '../../gateway/readings/reading.ts';
import { zoneOffsetMs } from '../serial/local-time.ts';
import { cgmNotificationToReadings, type CgmRecordContext } from './cgm-records.ts';
import { DeviceDriver, type DeviceIdentity, type DriverDeps } from './device-driver.ts';
import { systemHubClock, TRUSTED_HUB_CLOCK } from '../../lib/hub-clock.ts';
import { RacpClient, reportFrom } from './racp-client.ts';
import type { GattLink } from './transport.ts';
import { specimenOf } from './specimen.ts';
import { CHAR, SERVICE } from './uuids.ts';

const DEFAULT_INTERVAL_SECONDS = 60;
const MAX_EARLY_NOTIFICATIONS = 1000;

const MIN_OFFSETS_FOR_INTERVAL = 4;
const MAX_INTERVAL_MINUTES = 15;

export class SensorConfigError extends GatewayError {
  constructor(message: string) {
    super('ERR_SENSOR_CONFIG', message);
  }
}

/** Standard zone offset and DST of `timeZone` at `at` (DST = now − the smaller of January's and July's). */
export function zoneAndDst(at: Date, timeZone: string): { zone: number; dst: DstOffsetMinutes } {
  const year = at.getUTCFullYear();
  const now = zoneOffsetMs(at.getTime(), timeZone) / 60_000;
  const standard = Math.min(
    zoneOffsetMs(Date.UTC(year, 0, 1), timeZone),
    zoneOffsetMs(Date.UTC(year, 6, 1), timeZone),
  );
  const dst = now - standard / 60_000;
  return dst === 0 || dst === 30 || dst === 60 || dst === 120
    ? { zone: standard / 60_000, dst }
    : { zone: now, dst: 0 };
}

export class CgmDriver extends DeviceDriver {
  readonly service = SERVICE.cgm;
  private racp: RacpClient | null = null;
  private crc = false;
  private specimen: Specimen = 'isf';
  private ctx: CgmRecordContext | null = null;
  private early: Buffer[] = [];
  /** While a backfill runs: records newer than the sensor's "now" at its start are live ones and wait. */
  private holdAbove: number | null = null;
  private held: Reading[] = [];
  /** Readings of a new session wait until the sampling interval is known (it is stored with the session). */
  private intervalKnown = false;
  private awaitingInterval: Reading[] = [];
  /** CGM Status time offset at connection: the newest record the sensor can hold. */
  private sensorNow: number | null = null;
  /** epoch ms that ctx.receivedAt was formatted from */
  private receivedMs = NaN;

  constructor(deps: DriverDeps, id: DeviceIdentity) {
    super(deps, id, 'cgm');
  }

  protected async subscribe(link: GattLink): Promise<void> {
    this.ctx = null;
    this.early = [];
    await link.subscribe(SERVICE.cgm, CHAR.cgmMeasurement, (v) => this.onMeasurement(v));
    this.racp = new RacpClient(link, SERVICE.cgm, 'cgms', this.deps.config.racpTimeoutMs);
    await this.racp.subscribe();
  }

  /** A wrong hub clock written as the session start would misplace the whole session: refuse, and say why. */
  private async requireSynchronizedClock(): Promise<void> {
    const clock =
      this.deps.config.hubClock === 'trusted' ? TRUSTED_HUB_CLOCK : (this.deps.hubClock ?? systemHubClock());
    const state = await clock.state();
    if (state.synchronized) return;
    this.blockedBy = 'hub-clock-unsynchronized';
    const why = `the hub clock is not synchronized (${state.source}${state.detail ? `: ${state.detail}` : ''})`;
    this.log.warn(
      { reason: 'hub-clock-unsynchronized', source: state.source },
      `not writing CGM Session Start Time: ${why}; set ble.hubClock to "trusted" to override`,
    );
    throw new SensorConfigError(`CGM Session Start Time unknown and not written: ${why}`);
  }

  protected async readFamilyConfig(link: GattLink): Promise<void> {
    const feature = decodeCgmFeature(await link.read(SERVICE.cgm, CHAR.cgmFeature));
    if (feature.crc === 'mismatch') throw new SensorConfigError('CGM Feature: E2E-CRC mismatch');
    this.crc = cgmSupportsE2eCrc(feature);
    this.specimen = specimenOf(feature.sampleType, 'isf');
    const crc = { crc: this.crc };

    let start = decodeCgmSessionStartTime(await link.read(SERVICE.cgm, CHAR.cgmSessionStartTime), crc);
    if (start.crc === 'mismatch') throw new SensorConfigError('CGM Session Start Time: E2E-CRC mismatch');
    if (!isDateKnown(start.dateTime) && this.deps.config.writeSessionStartTime === 'if-unknown') {
      // An unset time base (spec A.2): give the sensor the current local time; it derives the start from it.
      await this.requireSynchronizedClock();
      const now = this.now();
      const { zone, dst } = zoneAndDst(now, this.deps.timeZone);
      await link.write(
        SERVICE.cgm,
        CHAR.cgmSessionStartTime,
        encodeCgmSessionStartTime(cgmSessionStartTimeAt(now, zone, dst), crc),
      );
      this.log.info('wrote CGM Session Start Time (the sensor reported none)');
      start = decodeCgmSessionStartTime(await link.read(SERVICE.cgm, CHAR.cgmSessionStartTime), crc);
    }
    const localMs = dateTimeToEpochMs(start.dateTime);
    if (localMs === null) throw new SensorConfigError('CGM Session Start Time: the date is unknown');
    const fallback = zoneOffsetMs(localMs, this.deps.timeZone) / 60_000;
    if (start.timeZoneMinutes === null || start.dstOffsetMinutes === null)
      this.log.warn({ timeZone: this.deps.timeZone }, 'sensor time zone/DST unknown; using the gateway zone');
    const startedIso = cgmSessionStartToUtcIso(start, fallback);
    if (startedIso === null) throw new SensorConfigError('CGM Session Start Time: cannot place it in UTC');
    const startMs = Date.parse(startedIso);

    let expiresAt: string | undefined;
    if (link.has(SERVICE.cgm, CHAR.cgmSessionRunTime)) {
      const run = decodeCgmSessionRunTime(await link.read(SERVICE.cgm, CHAR.cgmSessionRunTime), crc);
      if (run.crc === 'mismatch') throw new SensorConfigError('CGM Session Run Time: E2E-CRC mismatch');
      if (run.runTimeHours > 0) expiresAt = new Date(startMs + run.runTimeHours * 3_600_000).toISOString();
    }
    let sensorNow: number | null = null;
    let clockOffsetMs = 0;
    if (link.has(SERVICE.cgm, CHAR.cgmStatus)) {
      const status = decodeCgmStatus(await link.read(SERVICE.cgm, CHAR.cgmStatus), crc);
      if (status.crc === 'mismatch') throw new SensorConfigError('CGM Status: E2E-CRC mismatch');
      sensorNow = status.timeOffsetMinutes;
      clockOffsetMs = this.now().getTime() - (startMs + sensorNow * 60_000);
    }

    const startedAt = new Date(startMs).toISOString();
    const session: SensorSession = {
      startedAt,
      ...(expiresAt ? { expiresAt } : {}),
      intervalSeconds: DEFAULT_INTERVAL_SECONDS,
      lowerLimit: this.deps.cgmLimits.lower,
      upperLimit: this.deps.cgmLimits.upper,
    };
    this.ctx = {
      device: this.device,
      session,
      sessionStartMs: startMs,
      crc: this.crc,
      annunciationOrder: this.deps.config.annunciationOrder,
      specimen: this.specimen,
      limits: this.deps.cgmLimits,
      clockOffsetMs,
      receivedAt: '',
    };
    this.sensorNow = sensorNow;
    this.receivedMs = NaN; // the new context has no receive time yet
    this.intervalKnown = this.deps.port.lastRecordNumber(this.device.key, startedAt) !== null;
    this.log.info(
      { sessionStart: startedAt, expiresAt, sensorNow, crc: this.crc, clockOffsetMs },
      'CGM session read',
    );
    const early = this.early;
    this.early = [];
    for (const v of early) this.onMeasurement(v);
  }

  protected async fetchRecords(): Promise<void> {
    const ctx = this.ctx;
    const racp = this.racp;
    if (!ctx || !racp) return;
    const last = this.deps.port.lastRecordNumber(this.device.key, ctx.session.startedAt);
    const request = reportFrom(last === null ? null : last + 1, 'time-offset');
    if (!request) return;
    this.holdAbove = this.sensorNow;
    this.held = [];
    try {
      const answer = await racp.request(request);
      if (
        answer.opCode === 'response-code' &&
        answer.response !== 'success' &&
        answer.response !== 'no-records-found'
      )
        this.log.warn({ response: answer.response }, 'RACP report ended without success');
      this.decideInterval(true);
      this.holdAbove = null;
      const held = this.held;
      this.held = [];
      this.deliver(held);
    } finally {
      // on failure the held live records are dropped: the sensor keeps them and the next sync asks again
      this.holdAbove = null;
      this.held = [];
    }
  }

  protected override onLinkDown(): void {
    this.decideInterval(true);
    super.onLinkDown();
  }

  private onMeasurement(value: Buffer): void {
    const ctx = this.ctx;
    if (!ctx) {
      if (this.early.length < MAX_EARLY_NOTIFICATIONS) this.early.push(value);
      return;
    }
    this.racp?.touch();
    // a backfill delivers many notifications per millisecond: format the receive time once per millisecond
    const nowMs = Date.now();
    if (nowMs !== this.receivedMs) {
      this.receivedMs = nowMs;
      ctx.receivedAt = new Date(nowMs).toISOString();
    }
    const { readings, refused } = cgmNotificationToReadings(value, ctx);
    if (refused.length > 0) this.refuse(refused);
    if (readings.length === 0) return;
    const hold = this.holdAbove;
    if (hold === null) {
      this.deliver(readings);
      return;
    }
    const now: Reading[] = [];
    for (const r of readings) ((r.recordNumber ?? 0) > hold ? this.held : now).push(r);
    this.deliver(now);
  }

  private deliver(readings: Reading[]): void {
    if (readings.length === 0) return;
    if (this.intervalKnown) {
      this.pushReadings(readings);
      return;
    }
    for (const r of readings) this.awaitingInterval.push(r);
    this.decideInterval(false);
  }

  /** The sampling interval of a new session: the smallest gap between offsets seen (else the default). */
  private decideInterval(final: boolean): void {
    if (this.intervalKnown || !this.ctx) return;
    const offsets = [...new Set(this.awaitingInterval.map((r) => r.recordNumber ?? 0))].sort((a, b) => a - b);
    // A live record can arrive before the backfill (offsets [0, 20161]): wait for a few offsets so the
    // smallest gap is a real sampling gap, and never take more than 15 min (no CGM samples less often).
    if (offsets.length < MIN_OFFSETS_FOR_INTERVAL && !final) return;
    let gap = Infinity;
    for (let i = 1; i < offsets.length; i++) gap = Math.min(gap, offsets[i] - offsets[i - 1]);
    if (gap !== Infinity)
      this.ctx.session.intervalSeconds = Math.min(MAX_INTERVAL_MINUTES, Math.max(1, gap)) * 60;
    this.intervalKnown = true;
    const waiting = this.awaitingInterval;
    this.awaitingInterval = [];
    if (waiting.length > 0) this.pushReadings(waiting);
  }
}
