// A simulated CGM sensor: CGMS 0x181F (spec A) with stored and live records, RACP by Time Offset,
// SOCP, a writable Session Start Time, LO/HI values, annunciations and the per-record E2E-CRC. The records
// are made in cgm-records.ts, SOCP is answered in cgm-socp-server.ts, the session start kept in
// cgm-session-start.ts, the options checked in cgm-options.ts.
import type { CgmAnnunciation } from '../../drivers/codecs/cgm-annunciation.ts';
import { encodeCgmFeature } from '../../drivers/codecs/cgm-feature.ts';
import { encodeCgmSessionRunTime } from '../../drivers/codecs/cgm-session-run-time.ts';
import { CGM_INTERVAL_DISABLED } from '../../drivers/codecs/cgm-socp.ts';
import { encodeCgmStatus } from '../../drivers/codecs/cgm-status.ts';
import { AttError, type PeripheralHost, type ServiceDefinition, type WriteResult } from '../hci/index.ts';
import { checkRecordsPerNotification, resolveCgmOptions, type CgmSimulatorOptions } from './cgm-options.ts';
import { CgmRecordFactory, recordBytesAt, type CgmRecordSpec, type StoredCgmRecord } from './cgm-records.ts';
import { CgmSessionStart } from './cgm-session-start.ts';
import { CgmSocpServer, type SocpSensor } from './cgm-socp-server.ts';
import {
  CGMS_UUID,
  CGM_FEATURE_UUID,
  CGM_MEASUREMENT_UUID,
  CGM_SESSION_RUN_TIME_UUID,
  CGM_SESSION_START_TIME_UUID,
  CGM_SOCP_UUID,
  CGM_STATUS_UUID,
  MALFORMED_CGM_MEASUREMENT,
} from './cgms.ts';
import type { Faults } from './faults.ts';
import type { RacpBackend } from './racp-server.ts';
import { logEntry, type RequestLogEntry } from './request-log.ts';
import { SimulatedSensor } from './simulated-sensor.ts';

export type { CgmSimulatorOptions } from './cgm-options.ts';

const STATUS_SESSION_STOPPED = 0x01;
const STATUS_DEVICE_SPECIFIC_ALERT = 0x10;
const CALTEMP_TIME_SYNC_REQUIRED = 0x01;

export class CgmSimulator extends SimulatedSensor<StoredCgmRecord> {
  readonly socpRequests: RequestLogEntry[] = [];
  readonly intervalMinutes: 1 | 5;
  readonly e2eCrc: boolean;
  readonly speed: number;
  readonly recordsPerNotification: number;
  private readonly storage: StoredCgmRecord[] = [];
  private minutes = 0;
  private readonly session: CgmSessionStart;
  private readonly runTimeHours: number;
  private readonly featureBits: number;
  private readonly sampleType: number;
  private readonly sampleLocation: number;
  private readonly factory: CgmRecordFactory;
  private readonly socp: CgmSocpServer;
  private statusOctets: { status: number; calTemp: number; warning: number };
  private running = true;
  private liveTimer: NodeJS.Timeout | null = null;
  private liveCount = 0;

  constructor(controller: PeripheralHost, opts: CgmSimulatorOptions) {
    const perNotification = checkRecordsPerNotification(opts);
    super(controller, opts, {
      kind: 'cgm',
      defaultName: 'Sim CGM',
      defaultModel: 'GCGM-SIM',
      serviceUuid: CGMS_UUID,
      appearance: 0x0d40,
    });
    const o = resolveCgmOptions(opts);
    this.intervalMinutes = o.intervalMinutes;
    this.e2eCrc = o.e2eCrc;
    this.speed = o.speed;
    this.recordsPerNotification = perNotification;
    this.runTimeHours = o.runTimeHours;
    this.featureBits = o.featureBits;
    this.sampleType = o.sampleType;
    this.sampleLocation = o.sampleLocation;
    this.factory = new CgmRecordFactory(o.records);
    this.statusOctets = o.status;
    this.socp = new CgmSocpServer(this.socpSensor(), {
      intervalMinutes: o.intervalMinutes,
      e2eCrc: o.e2eCrc,
      calibration: o.calibration,
      alerts: o.alerts,
    });
    for (const offset of o.history) this.store(this.generate(offset));
    for (const r of opts.records ?? []) this.addRecord(r);
    const startUtcMs =
      opts.sessionStart === undefined
        ? Date.now() - this.minutes * 60_000
        : new Date(opts.sessionStart).getTime();
    if (Number.isNaN(startUtcMs))
      throw new RangeError(`sessionStart ${String(opts.sessionStart)} is not a date`);
    this.session = new CgmSessionStart(startUtcMs, o.zone, this.e2eCrc, opts.sessionStartUnknown === true);
    this.setFaults(opts.faults ?? {});
    if (opts.live ?? true) this.startLive();
  }

  // ---- state ----------------------------------------------------------------------------------

  get records(): readonly StoredCgmRecord[] {
    return this.storage;
  }

  /** Time offset of the latest measurement (the sensor's clock), minutes. */
  get sessionMinutes(): number {
    return this.minutes;
  }

  get sessionStartUtc(): Date {
    return this.session.utc;
  }

  /** How often a collector wrote Session Start Time (its clock) so far. */
  get sessionStartWrites(): number {
    return this.session.writes;
  }

  get sessionRunning(): boolean {
    return this.running;
  }

  get communicationIntervalMinutes(): number {
    return this.socp.commInterval;
  }

  get status(): { status: number; calTemp: number; warning: number } {
    return { ...this.statusOctets };
  }

  setStatus(s: CgmAnnunciation): void {
    this.statusOctets = { ...this.statusOctets, ...s };
  }

  protected override checkFaults(f: Faults): void {
    if (f.corruptCrcEvery !== null && !this.e2eCrc) {
      throw new RangeError('fault corruptCrcEvery needs e2eCrc: this CGM sends no CRC');
    }
    if (f.resetSequenceAfterLinks !== null)
      throw new RangeError(
        'fault resetSequenceAfterLinks: a CGM has no sequence numbers (glucose meters only)',
      );
  }

  // ---- records --------------------------------------------------------------------------------

  /** Stores a record (structured, or raw hex sent byte for byte); returns it. */
  addRecord(spec: CgmRecordSpec | string): StoredCgmRecord {
    return this.store(this.factory.given(spec));
  }

  /** Advances the clock one interval, stores the new record and notifies it when subscribed. */
  tick(): StoredCgmRecord | null {
    if (!this.running) return null;
    const offset = this.storage.length > 0 || this.minutes > 0 ? this.minutes + this.intervalMinutes : 0;
    if (offset > 0xffff) return null;
    const rec = this.store(this.generate(offset));
    if (
      this.socp.commInterval !== CGM_INTERVAL_DISABLED &&
      this.peripheral.isSubscribed(CGM_MEASUREMENT_UUID)
    ) {
      this.liveCount++;
      this.peripheral.notify(CGM_MEASUREMENT_UUID, this.transferBytes(rec, this.liveCount));
    }
    return rec;
  }

  sendMalformedNotification(): boolean {
    return this.peripheral.notify(CGM_MEASUREMENT_UUID, MALFORMED_CGM_MEASUREMENT);
  }

  private generate(offset: number): StoredCgmRecord {
    return this.factory.generate(offset, this.statusOctets);
  }

  private store(rec: StoredCgmRecord): StoredCgmRecord {
    // keep time-offset order (given records may come in any order)
    let i = this.storage.length;
    while (i > 0 && this.storage[i - 1].timeOffset > rec.timeOffset) i--;
    this.storage.splice(i, 0, rec);
    this.minutes = Math.max(this.minutes, rec.timeOffset);
    this.emit('record', rec);
    return rec;
  }

  /** A stored record as sent at `position` of a transfer or of the live stream (corrupt-CRC fault). */
  private transferBytes(r: StoredCgmRecord, position: number): Buffer {
    return recordBytesAt(r, position, this.currentFaults.corruptCrcEvery);
  }

  private startLive(): void {
    this.stopLive();
    const periodMs = Math.max(1, (this.intervalMinutes * 60_000) / this.speed);
    this.liveTimer = setInterval(() => this.tick(), periodMs);
    this.liveTimer.unref();
  }

  private stopLive(): void {
    if (this.liveTimer) clearInterval(this.liveTimer);
    this.liveTimer = null;
  }

  protected override onClose(): void {
    this.stopLive();
  }

  // ---- GATT -----------------------------------------------------------------------------------

  protected ownService(): ServiceDefinition {
    const crc = () => ({ crc: this.e2eCrc });
    return {
      uuid: CGMS_UUID,
      characteristics: [
        { uuid: CGM_MEASUREMENT_UUID, properties: ['notify'] },
        {
          uuid: CGM_FEATURE_UUID,
          properties: ['read'],
          onRead: () =>
            encodeCgmFeature({
              features: this.featureBits,
              sampleType: this.sampleType,
              sampleLocation: this.sampleLocation,
            }),
        },
        {
          uuid: CGM_STATUS_UUID,
          properties: ['read'],
          onRead: () => encodeCgmStatus({ timeOffsetMinutes: this.minutes, ...this.statusOctets }, crc()),
        },
        {
          uuid: CGM_SESSION_START_TIME_UUID,
          properties: ['read', 'write'],
          onRead: () => this.session.value(),
          onWrite: (data) => this.writeSessionStartTime(data),
        },
        {
          uuid: CGM_SESSION_RUN_TIME_UUID,
          properties: ['read'],
          onRead: () => encodeCgmSessionRunTime({ runTimeHours: this.runTimeHours }, crc()),
        },
        { uuid: CGM_SOCP_UUID, properties: ['write', 'indicate'], onWrite: (data) => this.onSocpWrite(data) },
      ],
    };
  }

  protected backend(): RacpBackend<StoredCgmRecord> {
    return {
      service: 'cgms',
      measurementUuid: CGM_MEASUREMENT_UUID,
      records: () => this.storage,
      recordNumber: (r) => r.timeOffset,
      deleteRecords: (selected) => {
        const keep = this.storage.filter((r) => !selected.has(r));
        this.storage.splice(0, this.storage.length, ...keep);
      },
      sendRecord: async (r, position) => {
        await this.peripheral.notifyPaced(CGM_MEASUREMENT_UUID, this.transferBytes(r, position));
      },
      packCount: (selected, from, limit) => {
        const room = this.peripheral.mtu - 3;
        const max = Math.min(limit, this.recordsPerNotification, selected.length - from);
        let n = 0;
        for (let bytes = 0; n < max; n++) {
          bytes += selected[from + n].bytes.length;
          if (bytes > room) break;
        }
        return Math.max(1, n);
      },
      sendPacked: async (rs, firstPosition) => {
        const parts = rs.map((r, k) => this.transferBytes(r, firstPosition + k));
        await this.peripheral.notifyPaced(CGM_MEASUREMENT_UUID, Buffer.concat(parts));
      },
      sendMalformed: () => this.sendMalformedNotification(),
      faults: () => this.currentFaults,
      dropLinkFired: () => this.dropLinkFired(),
      paceMs: () => this.transferPaceMs,
    };
  }

  /** A time sync also clears the Cal/Temp octet's "time synchronization required". */
  private writeSessionStartTime(data: Buffer): WriteResult {
    const refused = this.session.write(data, this.minutes);
    if (refused === undefined) this.statusOctets.calTemp &= ~CALTEMP_TIME_SYNC_REQUIRED;
    return refused;
  }

  // ---- SOCP -----------------------------------------------------------------------------------

  get socpLog(): readonly RequestLogEntry[] {
    return this.socpRequests;
  }

  override clearLogs(): void {
    super.clearLogs();
    this.socpRequests.length = 0;
  }

  private onSocpWrite(data: Buffer): WriteResult {
    const entry = logEntry(data);
    this.socpRequests.push(entry);
    this.emit('socp', entry);
    if (!this.peripheral.subscription(CGM_SOCP_UUID).indicate) return AttError.cccdImproperlyConfigured;
    const answer = this.socp.onWrite(data);
    if (typeof answer === 'number') return answer;
    setImmediate(() => void this.peripheral.indicate(CGM_SOCP_UUID, answer).catch(() => undefined));
  }

  /** What SOCP's session and alert op codes do to this sensor. */
  private socpSensor(): SocpSensor {
    return {
      sessionRunning: () => this.running,
      startSession: () => {
        this.storage.length = 0;
        this.minutes = 0;
        this.session.restart(Date.now());
        this.running = true;
        this.statusOctets.status &= ~STATUS_SESSION_STOPPED;
      },
      stopSession: () => {
        this.running = false;
        this.statusOctets.status |= STATUS_SESSION_STOPPED;
      },
      resetDeviceSpecificAlert: () => {
        this.statusOctets.status &= ~STATUS_DEVICE_SPECIFIC_ALERT;
      },
    };
  }
}
