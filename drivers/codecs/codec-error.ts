// The only error a codec throws: a stable machine-readable code plus a message naming what was wrong.
import { GatewayError } from '../../lib/errors.ts';
export type CodecErrorCode =
  | 'ERR_TOO_SHORT'
  | 'ERR_TOO_LONG'
  | 'ERR_LENGTH_MISMATCH'
  | 'ERR_FLAGS_INCONSISTENT'
  | 'ERR_RESERVED_VALUE'
  | 'ERR_OUT_OF_RANGE'
  | 'ERR_CRC_MISMATCH'
  | 'ERR_CRC_MISSING'
  | 'ERR_INVALID_OPERATOR'
  | 'ERR_INVALID_OPERAND'
  | 'ERR_CHECKSUM_MISMATCH'
  | 'ERR_UNKNOWN_OPCODE'
  | 'ERR_MALFORMED'
  | 'ERR_INVALID_ARGUMENT';

export class CodecError extends GatewayError {
  declare readonly code: CodecErrorCode;
  constructor(code: CodecErrorCode, message: string) {
    super(code, message);
  }
}
