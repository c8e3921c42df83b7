// Why a meter session failed. Codec errors on single frames are retried inside the sessions; a MeterError is
// what is left when retries run out, the meter stays silent, or the cable is pulled.
import { GatewayError } from '../../lib/errors.ts';
export type MeterErrorCode =
  | 'ERR_TIMEOUT'
  | 'ERR_PORT_CLOSED'
  | 'ERR_PORT_OPEN'
  | 'ERR_RETRIES_EXHAUSTED'
  | 'ERR_PROTOCOL'
  | 'ERR_INCOMPLETE';

export class MeterError extends GatewayError {
  declare readonly code: MeterErrorCode;
  constructor(code: MeterErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
