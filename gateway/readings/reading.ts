// The Reading: the one shape every driver emits and the only thing the core knows about devices.
// Nothing after this seam knows whether bytes came over BLE, a serial cable or a JSON file.

export type DeviceKind = 'cgm' | 'bgm';
export type Transport = 'ble' | 'serial' | 'usb' | 'import';
export type GlucoseUnit = 'mg/dL' | 'mmol/L';
/** Where the sample was taken; decides the LOINC code of a blood glucose Observation. */
export type Specimen = 'capillary' | 'blood' | 'plasma' | 'isf';

export interface DeviceInfo {
  /** Stable device key: transport + address or serial, e.g. `ble:c0:ff:ee:00:00:01`, `serial:onetouch:ABC123`. */
  key: string;
  transport: Transport;
  kind: DeviceKind;
  manufacturer?: string;
  model?: string;
  serialNumber?: string;
  /** Name shown to the patient (HIIS-VZ registered name when known). */
  name?: string;
}

/** A CGM sensor session: a new session is a new FHIR Device. */
export interface SensorSession {
  /** UTC ISO time the session started (from Session Start Time, or first reading). */
  startedAt: string;
  /** UTC ISO time after which the sensor stops measuring (e.g. start + 14 days). */
  expiresAt?: string;
  /** Sampling interval in seconds (60 or 300 for typical CGMs). */
  intervalSeconds: number;
  /** Detection limits of the sensor in the reading's unit; values outside show as L/U. */
  lowerLimit?: number;
  upperLimit?: number;
}

/** `low`/`high`: below/above the measuring range (value holds the limit); `error`: no value. */
export type ReadingFlag = 'low' | 'high' | 'error';

export interface Reading {
  device: DeviceInfo;
  /**
   * Stable per-record key within the device, used for dedup:
   * GLS `seq:<n>`, CGMS `cgm:<sessionStartIso>:<offsetMinutes>`, serial `rec:<index>` or `t:<deviceTime>:<value>`.
   */
  identity: string;
  /**
   * The record's own counter where the protocol has one (GLS sequence number, CGMS time offset in minutes,
   * serial meter record index). Lets a driver ask the store for "the last one I have" and backfill from there.
   */
  recordNumber?: number;
  /** The measured value in `unit`, or the range limit for low/high, or null for error. */
  value: number | null;
  unit: GlucoseUnit;
  flag?: ReadingFlag;
  /** Why a reading carries no value (e.g. `sensor-malfunction`); required when flag is `error`. */
  flagReason?: string;
  specimen: Specimen;
  /** The device's own clock value as it reported it (never lost, Tidepool-style). */
  deviceTime: string;
  /** Gateway receive time, UTC ISO. */
  receivedAt: string;
  /** Computed UTC time of the measurement, ISO. */
  effectiveAt: string;
  /** Gateway clock minus device clock in ms, as measured when the reading was fetched. */
  clockOffsetMs: number;
  /** The exact bytes (hex) or line (text) received, for audit and re-decoding. */
  raw: string;
  /** CGM only: the sensor session this sample belongs to. */
  session?: SensorSession;
  /** Control-solution test: stored for audit, never mapped to a patient Observation. */
  controlSolution?: boolean;
  /**
   * Not a glucose test: a meter's blood ketone test (mmol/L). Stored for audit like a control-solution test,
   * never a glucose Observation.
   */
  analyte?: 'ketone';
  /** Calibration state of the sensor when the sample was taken (CGM); a change makes a new DeviceMetric version. */
  calibration?: {
    state: 'not-calibrated' | 'calibration-required' | 'calibrated' | 'unspecified';
    time?: string;
  };
}

export interface IngestRejection {
  index: number;
  identity?: string;
  reason: string;
}

export interface IngestResult {
  stored: number;
  duplicates: number;
  rejected: IngestRejection[];
  /** Only when ingest knows the retention: records older than the historic data period, not stored. */
  expired?: number;
}
