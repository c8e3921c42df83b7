// Record Access Control Point (0x2A52, spec A.5), shared by CGMS and GLS: requests the collector
// writes and the responses the server indicates. Filter type 0x01 is a uint16 in both services: the
// Sequence Number for GLS, the Time Offset (minutes) for CGMS; 0x02 User Facing Time is GLS only.
// No E2E-CRC on RACP. Errors map onto RACP response codes: ERR_UNKNOWN_OPCODE → 0x02,
// ERR_INVALID_OPERATOR → 0x03, ERR_INVALID_OPERAND → 0x05 (or 0x09 for an unsupported filter type).
import { CodecError } from './codec-error.ts';
import { readDateTime, writeDateTime } from './date-time.ts';
import type { DateTime } from './date-time.ts';
import { LeReader } from './le-reader.ts';
import { LeWriter } from './le-writer.ts';

export const RACP_OP_CODES = {
  'report-stored-records': 0x01,
  'delete-stored-records': 0x02,
  'abort-operation': 0x03,
  'report-number-of-stored-records': 0x04,
  'number-of-stored-records-response': 0x05,
  'response-code': 0x06,
} as const;
export type RacpOpCodeName = keyof typeof RACP_OP_CODES;

export const RACP_OPERATORS = {
  null: 0x00,
  all: 0x01,
  'less-than-or-equal': 0x02,
  'greater-than-or-equal': 0x03,
  'within-range': 0x04,
  first: 0x05,
  last: 0x06,
} as const;
export type RacpOperatorName = keyof typeof RACP_OPERATORS;

export const RACP_RESPONSE_CODES = {
  success: 0x01,
  'op-code-not-supported': 0x02,
  'invalid-operator': 0x03,
  'operator-not-supported': 0x04,
  'invalid-operand': 0x05,
  'no-records-found': 0x06,
  'abort-unsuccessful': 0x07,
  'procedure-not-completed': 0x08,
  'operand-not-supported': 0x09,
} as const;
export type RacpResponseCodeName = keyof typeof RACP_RESPONSE_CODES;

export const RACP_FILTER_RECORD_NUMBER = 0x01;
export const RACP_FILTER_USER_FACING_TIME = 0x02;

export type RacpService = 'gls' | 'cgms';

/** Operand(s): one for ≤ / ≥ (the bound), two for "within range" (min, max, inclusive). */
export type RacpFilter =
  | { readonly type: 'sequence-number' | 'time-offset'; readonly operands: readonly number[] }
  | { readonly type: 'user-facing-time'; readonly operands: readonly DateTime[] };

export type RacpRecordOpCode =
  'report-stored-records' | 'delete-stored-records' | 'report-number-of-stored-records';

export type RacpRequest =
  | {
      readonly opCode: RacpRecordOpCode;
      readonly operator: 'all' | 'first' | 'last';
    }
  | {
      readonly opCode: RacpRecordOpCode;
      readonly operator: 'less-than-or-equal' | 'greater-than-or-equal' | 'within-range';
      readonly filter: RacpFilter;
    }
  | { readonly opCode: 'abort-operation' };

export type RacpResponse =
  | { readonly opCode: 'number-of-stored-records-response'; readonly count: number }
  | {
      readonly opCode: 'response-code';
      /** The request op code being answered (kept as a number: it may be one the server did not know). */
      readonly requestOpCode: number;
      readonly response: RacpResponseCodeName;
    };

export type RacpMessage = RacpRequest | RacpResponse;

export interface RacpOptions {
  /** Names filter type 0x01 (GLS: sequence number, CGMS: time offset) and allows 0x02 only for GLS. */
  readonly service?: RacpService;
}

const byValue = <K extends string>(table: Record<K, number>): Map<number, K> =>
  new Map(Object.entries(table).map(([k, v]) => [v as number, k as K]));
const OP_BY_VALUE = byValue(RACP_OP_CODES);
const OPERATOR_BY_VALUE = byValue(RACP_OPERATORS);
const RESPONSE_BY_VALUE = byValue(RACP_RESPONSE_CODES);

const hex = (v: number) => `0x${v.toString(16).padStart(2, '0')}`;

function readFilter(r: LeReader, count: number, service: RacpService): RacpFilter {
  const filterType = r.u8('RACP filter type');
  if (filterType === RACP_FILTER_RECORD_NUMBER) {
    const operands: number[] = [];
    for (let i = 0; i < count; i++) operands.push(r.u16(`RACP operand ${i + 1}`));
    if (count === 2 && operands[0] > operands[1]) {
      throw new CodecError(
        'ERR_INVALID_OPERAND',
        `RACP range ${operands[0]}..${operands[1]}: minimum above maximum`,
      );
    }
    return { type: service === 'cgms' ? 'time-offset' : 'sequence-number', operands };
  }
  if (filterType === RACP_FILTER_USER_FACING_TIME && service === 'gls') {
    const operands: DateTime[] = [];
    for (let i = 0; i < count; i++) operands.push(readDateTime(r, `RACP operand ${i + 1}`));
    return { type: 'user-facing-time', operands };
  }
  throw new CodecError(
    'ERR_INVALID_OPERAND',
    `RACP filter type ${hex(filterType)} is not supported for ${service}`,
  );
}

/** Decode a RACP value (request or response). Throws only CodecError. */
export function decodeRacp(bytes: Uint8Array, opts: RacpOptions = {}): RacpMessage {
  if (!(bytes instanceof Uint8Array))
    throw new CodecError('ERR_INVALID_ARGUMENT', 'bytes must be a Uint8Array');
  const service = opts.service ?? 'gls';
  if (service !== 'gls' && service !== 'cgms') {
    throw new CodecError('ERR_INVALID_ARGUMENT', `unknown RACP service ${String(service)}`);
  }
  const r = new LeReader(bytes);
  const opValue = r.u8('RACP op code');
  const opCode = OP_BY_VALUE.get(opValue);
  if (opCode === undefined)
    throw new CodecError('ERR_UNKNOWN_OPCODE', `RACP op code ${hex(opValue)} is not defined`);
  const operatorValue = r.u8('RACP operator');
  const operator = OPERATOR_BY_VALUE.get(operatorValue);
  if (operator === undefined) {
    throw new CodecError('ERR_INVALID_OPERATOR', `RACP operator ${hex(operatorValue)} is not defined`);
  }
  let message: RacpMessage;
  switch (opCode) {
    case 'abort-operation':
    case 'number-of-stored-records-response':
    case 'response-code':
      if (operator !== 'null') {
        throw new CodecError(
          'ERR_INVALID_OPERATOR',
          `RACP ${opCode} needs the Null operator, got ${operator}`,
        );
      }
      if (opCode === 'abort-operation') {
        message = { opCode };
      } else if (opCode === 'number-of-stored-records-response') {
        message = { opCode, count: r.u16('RACP number of stored records') };
      } else {
        const requestOpCode = r.u8('RACP request op code');
        const responseValue = r.u8('RACP response code value');
        const response = RESPONSE_BY_VALUE.get(responseValue);
        if (response === undefined) {
          throw new CodecError('ERR_RESERVED_VALUE', `RACP response code ${hex(responseValue)} is reserved`);
        }
        message = { opCode, requestOpCode, response };
      }
      break;
    default:
      switch (operator) {
        case 'null':
          throw new CodecError('ERR_INVALID_OPERATOR', `RACP ${opCode} cannot use the Null operator`);
        case 'all':
        case 'first':
        case 'last':
          message = { opCode, operator };
          break;
        default:
          message = { opCode, operator, filter: readFilter(r, operator === 'within-range' ? 2 : 1, service) };
      }
  }
  if (r.remaining > 0) {
    throw new CodecError(
      opCode.endsWith('stored-records') ? 'ERR_INVALID_OPERAND' : 'ERR_TOO_LONG',
      `RACP ${opCode}: ${r.remaining} unexpected octet(s) after offset ${r.offset}`,
    );
  }
  return message;
}

/** Encode a RACP request or response. */
export function encodeRacp(m: RacpMessage): Uint8Array {
  const op = RACP_OP_CODES[m.opCode];
  if (op === undefined)
    throw new CodecError('ERR_INVALID_ARGUMENT', `unknown RACP op code ${String(m.opCode)}`);
  const w = new LeWriter().u8(op, 'op code');
  switch (m.opCode) {
    case 'abort-operation':
      return w.u8(RACP_OPERATORS.null, 'operator').toBytes();
    case 'number-of-stored-records-response':
      return w.u8(RACP_OPERATORS.null, 'operator').u16(m.count, 'number of stored records').toBytes();
    case 'response-code': {
      const code = RACP_RESPONSE_CODES[m.response];
      if (code === undefined)
        throw new CodecError('ERR_INVALID_ARGUMENT', `unknown RACP response ${m.response}`);
      return w
        .u8(RACP_OPERATORS.null, 'operator')
        .u8(m.requestOpCode, 'request op code')
        .u8(code, 'response')
        .toBytes();
    }
  }
  const operator = RACP_OPERATORS[m.operator];
  if (operator === undefined || (operator as number) === RACP_OPERATORS.null) {
    throw new CodecError(
      'ERR_INVALID_ARGUMENT',
      `RACP ${m.opCode} cannot use operator ${String(m.operator)}`,
    );
  }
  w.u8(operator, 'operator');
  if (!('filter' in m)) return w.toBytes();
  const count = m.operator === 'within-range' ? 2 : 1;
  const { filter } = m;
  if (filter.operands.length !== count) {
    throw new CodecError('ERR_INVALID_ARGUMENT', `RACP ${m.operator} needs ${count} operand(s)`);
  }
  if (filter.type === 'user-facing-time') {
    w.u8(RACP_FILTER_USER_FACING_TIME, 'filter type');
    for (const dt of filter.operands) writeDateTime(w, dt, 'user facing time');
  } else if (filter.type === 'sequence-number' || filter.type === 'time-offset') {
    w.u8(RACP_FILTER_RECORD_NUMBER, 'filter type');
    for (const v of filter.operands) w.u16(v, filter.type);
    if (count === 2 && filter.operands[0] > filter.operands[1]) {
      throw new CodecError('ERR_INVALID_ARGUMENT', 'RACP range: minimum above maximum');
    }
  } else {
    throw new CodecError(
      'ERR_INVALID_ARGUMENT',
      `unknown RACP filter type ${String((filter as { type: unknown }).type)}`,
    );
  }
  return w.toBytes();
}
