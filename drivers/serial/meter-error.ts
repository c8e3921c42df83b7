// Why a meter session failed. Codec errors on single frames are retried inside the sessions; a MeterError is
// what is left when retries run out, the meter stays silent, or the cable is pulled.
export type MeterErrorCode =
  | 'ERR_TIMEOUT'
  | 'ERR_PORT_CLOSED'
  | 'ERR_PORT_OPEN'
  | 'ERR_RETRIES_EXHAUSTED'
  | 'ERR_PROTOCOL'
  | 'ERR_INCOMPLETE';

export class MeterError extends Error {
  readonly code: MeterErrorCode;
  constructor(code: MeterErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MeterError';
    this.code = code;
  }
}
