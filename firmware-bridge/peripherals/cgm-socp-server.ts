// The CGM simulator's Specific Ops Control Point (0x2AAC, spec A.6): decodes what the collector writes,
// answers each op code from a table of small handlers (communication interval, calibration values, alert
// levels, session start/stop), and encodes the indication, E2E-CRC included when the sensor has one.
import {
  CGM_ALERTS,
  CGM_CALIBRATION_LAST,
  CGM_INTERVAL_FASTEST,
  CGM_SOCP_OP_CODES,
  decodeCgmSocp,
  encodeCgmSocp,
  type CgmAlertName,
  type CgmCalibrationRecord,
  type CgmSocpMessage,
  type CgmSocpOpCodeName,
  type CgmSocpResponseCodeName,
} from '../../drivers/codecs/cgm-socp.ts';
import { CodecError } from '../../drivers/codecs/codec-error.ts';
import { sfloatFromNumber, type Sfloat } from '../../drivers/codecs/sfloat.ts';
import type { CgmAlertLevels } from './cgm-records.ts';
import { CGM_ATT_INVALID_CRC, CGM_ATT_MISSING_CRC } from './cgms.ts';

/** What SOCP does to the rest of the sensor. */
export interface SocpSensor {
  sessionRunning(): boolean;
  startSession(): void;
  stopSession(): void;
  /** Reset Device Specific Alert: clears the Status octet's device-specific alert bit */
  resetDeviceSpecificAlert(): void;
}

export interface SocpOptions {
  intervalMinutes: number;
  e2eCrc: boolean;
  calibration: boolean;
  alerts: CgmAlertLevels;
}

type Request<K extends CgmSocpOpCodeName> = CgmSocpMessage & { opCode: K };
type Handler<K extends CgmSocpOpCodeName> = (m: Request<K>, op: number) => CgmSocpMessage;
type Handlers = { [K in CgmSocpOpCodeName]?: Handler<K> };

const DEFAULT_ALERT_LEVELS: Record<CgmAlertName, number> = {
  'patient-high': 180,
  'patient-low': 70,
  hypo: 55,
  hyper: 250,
  'rate-of-decrease': 2,
  'rate-of-increase': 2,
};

const response = (requestOpCode: number, r: CgmSocpResponseCodeName): CgmSocpMessage => ({
  opCode: 'response-code',
  requestOpCode,
  response: r,
});

export class CgmSocpServer {
  /** the communication interval, minutes (0 = periodic communication off) */
  commInterval: number;
  private readonly sensor: SocpSensor;
  private readonly crc: { crc: boolean };
  private readonly calibrationSupported: boolean;
  private readonly calibrations: CgmCalibrationRecord[] = [];
  private readonly alertLevels: Record<CgmAlertName, Sfloat>;
  private readonly handlers: Handlers;

  constructor(sensor: SocpSensor, opts: SocpOptions) {
    this.sensor = sensor;
    this.commInterval = opts.intervalMinutes;
    this.crc = { crc: opts.e2eCrc };
    this.calibrationSupported = opts.calibration;
    const levels = { ...DEFAULT_ALERT_LEVELS };
    if (opts.alerts.patientLow !== undefined) levels['patient-low'] = opts.alerts.patientLow;
    if (opts.alerts.patientHigh !== undefined) levels['patient-high'] = opts.alerts.patientHigh;
    if (opts.alerts.hypo !== undefined) levels.hypo = opts.alerts.hypo;
    if (opts.alerts.hyper !== undefined) levels.hyper = opts.alerts.hyper;
    this.alertLevels = Object.fromEntries(CGM_ALERTS.map((a) => [a, sfloatFromNumber(levels[a])])) as Record<
      CgmAlertName,
      Sfloat
    >;
    this.handlers = { ...this.sessionHandlers(), ...this.calibrationHandlers(), ...this.alertHandlers() };
  }

  /** A write to SOCP: an ATT error code, or the indication to answer with. */
  onWrite(data: Buffer): number | Uint8Array {
    const op = data.length > 0 ? data[0] : 0;
    let answer: CgmSocpMessage;
    try {
      const m = decodeCgmSocp(data, this.crc);
      // without E2E-CRC two trailing octets are not a CRC but a wrong operand
      if (m.crc === 'mismatch' && this.crc.crc) return CGM_ATT_INVALID_CRC;
      answer = m.crc === 'mismatch' ? response(op, 'invalid-operand') : this.answer(m);
    } catch (e) {
      if (!(e instanceof CodecError)) throw e;
      if (e.code === 'ERR_CRC_MISSING') return CGM_ATT_MISSING_CRC;
      answer = response(op, e.code === 'ERR_UNKNOWN_OPCODE' ? 'op-code-not-supported' : 'invalid-operand');
    }
    return encodeCgmSocp(answer, this.crc);
  }

  /** Responses written as requests, and op codes without a handler, are not supported. */
  private answer(m: CgmSocpMessage): CgmSocpMessage {
    const op = CGM_SOCP_OP_CODES[m.opCode];
    const handler = this.handlers[m.opCode] as Handler<CgmSocpOpCodeName> | undefined;
    return handler ? handler(m, op) : response(op, 'op-code-not-supported');
  }

  private sessionHandlers(): Handlers {
    return {
      'set-communication-interval': (m, op) => {
        this.commInterval = m.intervalMinutes === CGM_INTERVAL_FASTEST ? 1 : m.intervalMinutes;
        return response(op, 'success');
      },
      'get-communication-interval': () => ({
        opCode: 'communication-interval-response',
        intervalMinutes: this.commInterval,
      }),
      'reset-device-specific-alert': (_m, op) => {
        this.sensor.resetDeviceSpecificAlert();
        return response(op, 'success');
      },
      'start-session': (_m, op) => {
        if (this.sensor.sessionRunning()) return response(op, 'procedure-not-completed');
        this.sensor.startSession();
        return response(op, 'success');
      },
      'stop-session': (_m, op) => {
        this.sensor.stopSession();
        return response(op, 'success');
      },
    };
  }

  private calibrationHandlers(): Handlers {
    if (!this.calibrationSupported) return {};
    return {
      'set-calibration-value': (m, op) => {
        if (m.calibration.glucose.kind !== 'number') return response(op, 'parameter-out-of-range');
        this.calibrations.push({ ...m.calibration, recordNumber: this.calibrations.length + 1, status: 0 });
        return response(op, 'success');
      },
      'get-calibration-value': (m, op) => {
        const n = m.recordNumber === CGM_CALIBRATION_LAST ? this.calibrations.length : m.recordNumber;
        const c = this.calibrations[n - 1];
        return c
          ? { opCode: 'calibration-value-response', calibration: c }
          : response(op, 'parameter-out-of-range');
      },
    };
  }

  private alertHandlers(): Handlers {
    const handlers: Record<string, Handler<CgmSocpOpCodeName>> = {};
    for (const name of CGM_ALERTS) {
      handlers[`set-${name}-alert-level`] = (m, op) => {
        if (!('level' in m) || m.level.kind !== 'number') return response(op, 'parameter-out-of-range');
        this.alertLevels[name] = m.level;
        return response(op, 'success');
      };
      handlers[`get-${name}-alert-level`] = () => ({
        opCode: `${name}-alert-level-response`,
        level: this.alertLevels[name],
      });
    }
    return handlers;
  }
}
