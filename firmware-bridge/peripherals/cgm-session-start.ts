// The CGM simulator's session start (0x2AAA, spec A.4): a UTC instant with the sensor's time zone and DST
// offset, read as local wall time, and moved by a collector that writes its own local time (time sync).
import {
  cgmSessionStartTimeAt,
  decodeCgmSessionStartTime,
  encodeCgmSessionStartTime,
  type DstOffsetMinutes,
} from '../../drivers/codecs/cgm-session-start-time.ts';
import { CodecError } from '../../drivers/codecs/codec-error.ts';
import { dateTimeToEpochMs } from '../../drivers/codecs/date-time.ts';
import { AttError, type WriteResult } from '../hci/index.ts';
import { CGM_ATT_INVALID_CRC, CGM_ATT_MISSING_CRC } from './cgms.ts';

export interface SessionZone {
  /** multiple of 15 in −720..840, or null = unknown */
  timeZoneMinutes: number | null;
  dstOffsetMinutes: DstOffsetMinutes | null;
}

/** Throws the codec's own error for a zone or DST offset the characteristic cannot carry. */
export function checkSessionZone(zone: SessionZone): void {
  encodeCgmSessionStartTime({
    dateTime: { year: 2024, month: 1, day: 1, hours: 0, minutes: 0, seconds: 0 },
    ...zone,
  });
}

export class CgmSessionStart {
  private utcMs: number;
  private zone: SessionZone;
  private readonly crc: { crc: boolean };
  /** The date reads as unknown (0) until a collector writes its time. */
  private unknown: boolean;
  /** Session Start Time writes accepted (time syncs by the collector). */
  writes = 0;

  constructor(utcMs: number, zone: SessionZone, e2eCrc: boolean, unknown = false) {
    this.utcMs = utcMs;
    this.zone = zone;
    this.crc = { crc: e2eCrc };
    this.unknown = unknown;
  }

  get utc(): Date {
    return new Date(this.utcMs);
  }

  /** A new session starts at utcMs. */
  restart(utcMs: number): void {
    this.utcMs = utcMs;
  }

  /** The characteristic value: the start as local wall time, zone and DST offset. */
  value(): Uint8Array {
    const { timeZoneMinutes, dstOffsetMinutes } = this.zone;
    const local = cgmSessionStartTimeAt(this.utc, timeZoneMinutes ?? 0, dstOffsetMinutes ?? 0);
    if (this.unknown) {
      const none = { year: 0, month: 0, day: 0, hours: 0, minutes: 0, seconds: 0 };
      return encodeCgmSessionStartTime({ ...local, dateTime: none, ...this.zone }, this.crc);
    }
    return encodeCgmSessionStartTime({ ...local, ...this.zone }, this.crc);
  }

  /**
   * The collector writes its current local time: the session start moves so that "now" is the time offset
   * of the latest measurement (`sessionMinutes`). Returns an ATT error code when refused.
   */
  write(data: Buffer, sessionMinutes: number): WriteResult {
    try {
      const v = decodeCgmSessionStartTime(data, this.crc);
      if (v.crc === 'mismatch')
        return this.crc.crc ? CGM_ATT_INVALID_CRC : AttError.invalidAttributeValueLength;
      const local = dateTimeToEpochMs(v.dateTime);
      if (local === null) return AttError.outOfRange;
      const nowUtc = local - ((v.timeZoneMinutes ?? 0) + (v.dstOffsetMinutes ?? 0)) * 60_000;
      this.utcMs = nowUtc - sessionMinutes * 60_000;
      this.zone = { timeZoneMinutes: v.timeZoneMinutes, dstOffsetMinutes: v.dstOffsetMinutes };
      this.unknown = false;
      this.writes++;
    } catch (e) {
      if (!(e instanceof CodecError)) throw e;
      if (e.code === 'ERR_CRC_MISSING') return CGM_ATT_MISSING_CRC;
      if (e.code === 'ERR_OUT_OF_RANGE' || e.code === 'ERR_RESERVED_VALUE') return AttError.outOfRange;
      return AttError.invalidAttributeValueLength;
    }
  }
}
