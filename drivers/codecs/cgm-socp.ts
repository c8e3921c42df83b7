// CGM Specific Ops Control Point (0x2AAC, spec A.6): requests the collector writes and the responses
// the sensor indicates, each optionally followed by an E2E-CRC (detected from the length; required
// when `opts.crc`). Op codes, operands and response values follow sdk-nrf-bm `cgms_socp.c`; the two
// bugs of Android-BLE-Common-Library's builder (spec A.6) are not copied: "disable periodic
// communication" is interval 0x00, and the sample location is the HIGH nibble.
import { CodecError } from './codec-error.ts';
import { appendCrc, readTrailingCrc } from './crc16-mcrf4xx.ts';
import type { CrcOptions, CrcStatus } from './crc16-mcrf4xx.ts';
import { LeReader } from './le-reader.ts';
import { LeWriter } from './le-writer.ts';
import { joinTypeLocation, splitTypeLocation } from './sample-type.ts';
import { readSfloat, writeSfloat } from './sfloat.ts';
import type { Sfloat } from './sfloat.ts';

export type CgmAlertName =
  'patient-high' | 'patient-low' | 'hypo' | 'hyper' | 'rate-of-decrease' | 'rate-of-increase';

/** Alert-level op code triplets (set, get, response) in op-code order, from 0x07. */
export const CGM_ALERTS: readonly CgmAlertName[] = [
  'patient-high',
  'patient-low',
  'hypo',
  'hyper',
  'rate-of-decrease',
  'rate-of-increase',
];

export type CgmSocpOpCodeName =
  | 'set-communication-interval'
  | 'get-communication-interval'
  | 'communication-interval-response'
  | 'set-calibration-value'
  | 'get-calibration-value'
  | 'calibration-value-response'
  | `set-${CgmAlertName}-alert-level`
  | `get-${CgmAlertName}-alert-level`
  | `${CgmAlertName}-alert-level-response`
  | 'reset-device-specific-alert'
  | 'start-session'
  | 'stop-session'
  | 'response-code';

export const CGM_SOCP_OP_CODES: Readonly<Record<CgmSocpOpCodeName, number>> = (() => {
  const table: Record<string, number> = {
    'set-communication-interval': 0x01,
    'get-communication-interval': 0x02,
    'communication-interval-response': 0x03,
    'set-calibration-value': 0x04,
    'get-calibration-value': 0x05,
    'calibration-value-response': 0x06,
    'reset-device-specific-alert': 0x19,
    'start-session': 0x1a,
    'stop-session': 0x1b,
    'response-code': 0x1c,
  };
  CGM_ALERTS.forEach((alert, i) => {
    table[`set-${alert}-alert-level`] = 0x07 + 3 * i;
    table[`get-${alert}-alert-level`] = 0x08 + 3 * i;
    table[`${alert}-alert-level-response`] = 0x09 + 3 * i;
  });
  return table as Record<CgmSocpOpCodeName, number>;
})();

export const CGM_SOCP_RESPONSE_CODES = {
  success: 0x01,
  'op-code-not-supported': 0x02,
  'invalid-operand': 0x03,
  'procedure-not-completed': 0x04,
  'parameter-out-of-range': 0x05,
} as const;
export type CgmSocpResponseCodeName = keyof typeof CGM_SOCP_RESPONSE_CODES;

/** Calibration Value record, 10 octets (spec A.6). */
export interface CgmCalibrationRecord {
  /** Glucose concentration of the calibration, mg/dL. */
  readonly glucose: Sfloat;
  /** Calibration time, minutes of session time. */
  readonly timeMinutes: number;
  readonly sampleType: number;
  readonly sampleLocation: number;
  /** Next calibration time, minutes of session time. */
  readonly nextTimeMinutes: number;
  readonly recordNumber: number;
  /** bit 0 rejected, bit 1 data out of range, bit 2 process pending. */
  readonly status: number;
}

/** 0x00 = disable periodic communication, 0xFF = fastest supported. */
export const CGM_INTERVAL_DISABLED = 0x00;
export const CGM_INTERVAL_FASTEST = 0xff;
/** Get Calibration Value operand for "the last record". */
export const CGM_CALIBRATION_LAST = 0xffff;

type AlertLevelSet = {
  readonly opCode: `set-${CgmAlertName}-alert-level` | `${CgmAlertName}-alert-level-response`;
  readonly level: Sfloat;
};

export type CgmSocpMessage =
  | {
      readonly opCode: 'set-communication-interval' | 'communication-interval-response';
      readonly intervalMinutes: number;
    }
  | {
      readonly opCode: 'set-calibration-value' | 'calibration-value-response';
      readonly calibration: CgmCalibrationRecord;
    }
  | { readonly opCode: 'get-calibration-value'; readonly recordNumber: number }
  | AlertLevelSet
  | {
      readonly opCode:
        | 'get-communication-interval'
        | `get-${CgmAlertName}-alert-level`
        | 'reset-device-specific-alert'
        | 'start-session'
        | 'stop-session';
    }
  | {
      readonly opCode: 'response-code';
      /** The request op code answered (a number: it may be one the sensor did not know). */
      readonly requestOpCode: number;
      readonly response: CgmSocpResponseCodeName;
    };

export type CgmSocpDecoded = CgmSocpMessage & { readonly crc: CrcStatus };

const OP_BY_VALUE = new Map<number, CgmSocpOpCodeName>(
  Object.entries(CGM_SOCP_OP_CODES).map(([k, v]) => [v, k as CgmSocpOpCodeName]),
);
const RESPONSE_BY_VALUE = new Map<number, CgmSocpResponseCodeName>(
  Object.entries(CGM_SOCP_RESPONSE_CODES).map(([k, v]) => [v, k as CgmSocpResponseCodeName]),
);

const hex = (v: number) => `0x${v.toString(16).padStart(2, '0')}`;

function readCalibration(r: LeReader): CgmCalibrationRecord {
  const glucose = readSfloat(r, 'calibration glucose concentration');
  const timeMinutes = r.u16('calibration time');
  const { sampleType, sampleLocation } = splitTypeLocation(r.u8('calibration type/sample location'));
  const nextTimeMinutes = r.u16('next calibration time');
  const recordNumber = r.u16('calibration data record number');
  const status = r.u8('calibration status');
  return { glucose, timeMinutes, sampleType, sampleLocation, nextTimeMinutes, recordNumber, status };
}

function writeCalibration(w: LeWriter, c: CgmCalibrationRecord): void {
  writeSfloat(w, c.glucose, 'calibration glucose concentration');
  w.u16(c.timeMinutes, 'calibration time')
    .u8(joinTypeLocation(c.sampleType, c.sampleLocation), 'calibration type/sample location')
    .u16(c.nextTimeMinutes, 'next calibration time')
    .u16(c.recordNumber, 'calibration data record number')
    .u8(c.status, 'calibration status');
}

/** Decode a SOCP request or response. Throws only CodecError. */
export function decodeCgmSocp(bytes: Uint8Array, opts: CrcOptions = { crc: false }): CgmSocpDecoded {
  if (!(bytes instanceof Uint8Array))
    throw new CodecError('ERR_INVALID_ARGUMENT', 'bytes must be a Uint8Array');
  const r = new LeReader(bytes);
  const opValue = r.u8('SOCP op code');
  const opCode = OP_BY_VALUE.get(opValue);
  if (opCode === undefined)
    throw new CodecError('ERR_UNKNOWN_OPCODE', `SOCP op code ${hex(opValue)} is not defined`);
  let m: CgmSocpMessage;
  switch (opCode) {
    case 'set-communication-interval':
    case 'communication-interval-response':
      m = { opCode, intervalMinutes: r.u8('communication interval') };
      break;
    case 'set-calibration-value':
    case 'calibration-value-response':
      m = { opCode, calibration: readCalibration(r) };
      break;
    case 'get-calibration-value':
      m = { opCode, recordNumber: r.u16('calibration data record number') };
      break;
    case 'response-code': {
      const requestOpCode = r.u8('SOCP request op code');
      const value = r.u8('SOCP response code value');
      const response = RESPONSE_BY_VALUE.get(value);
      if (response === undefined) {
        throw new CodecError('ERR_RESERVED_VALUE', `SOCP response code ${hex(value)} is reserved`);
      }
      m = { opCode, requestOpCode, response };
      break;
    }
    default:
      if (opCode.startsWith('set-') || opCode.endsWith('-response')) {
        m = { opCode: opCode as AlertLevelSet['opCode'], level: readSfloat(r, `${opCode} level`) };
      } else {
        m = { opCode: opCode as Extract<CgmSocpMessage, { opCode: 'start-session' }>['opCode'] };
      }
  }
  const crc = readTrailingCrc(r, 0, opts, `SOCP ${opCode}`);
  return { ...m, crc };
}

/** Encode a SOCP request or response, with an E2E-CRC when `opts.crc`. */
export function encodeCgmSocp(m: CgmSocpMessage, opts: CrcOptions = { crc: false }): Uint8Array {
  const op = CGM_SOCP_OP_CODES[m.opCode];
  if (op === undefined)
    throw new CodecError('ERR_INVALID_ARGUMENT', `unknown SOCP op code ${String(m.opCode)}`);
  const w = new LeWriter().u8(op, 'op code');
  if ('intervalMinutes' in m) w.u8(m.intervalMinutes, 'communication interval');
  else if ('calibration' in m) writeCalibration(w, m.calibration);
  else if ('recordNumber' in m) w.u16(m.recordNumber, 'calibration data record number');
  else if ('level' in m) writeSfloat(w, m.level, `${m.opCode} level`);
  else if (m.opCode === 'response-code') {
    const code = CGM_SOCP_RESPONSE_CODES[m.response];
    if (code === undefined)
      throw new CodecError('ERR_INVALID_ARGUMENT', `unknown SOCP response ${m.response}`);
    w.u8(m.requestOpCode, 'request op code').u8(code, 'response code');
  }
  appendCrc(w, opts);
  return w.toBytes();
}
