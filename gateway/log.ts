// The process logger. Redaction is a second line of defence: code must not log secrets in the first place.
import { pino, type Logger } from 'pino';

export const REDACT_PATHS = [
  'password',
  'token',
  'access_token',
  'refresh_token',
  'code',
  'code_verifier',
  'client_secret',
  'totp',
  'secret',
  'authorization',
  '*.password',
  '*.token',
  '*.access_token',
  '*.refresh_token',
  '*.code_verifier',
  '*.secret',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

export function createLogger(level = 'info', destination?: NodeJS.WritableStream): Logger {
  return pino(
    { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { app: 'hddt-gateway' } },
    destination ?? process.stderr,
  );
}

export type { Logger };
