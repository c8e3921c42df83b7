// Every error the gateway raises on purpose, by its stable code, and what it means at each edge: the command
// line's exit code (2: the input or configuration was wrong; 3: the DiGA client must pair again; 1: anything
// else), the HTTP status, and the OAuth error or FHIR issue code it is answered with. The one place these
// mappings live (lib/errors.ts reads it).

export interface ErrorMeaning {
  /** Exit code of a command that fails with it. */
  exit: 1 | 2 | 3;
  /** HTTP status where a server answers with it. */
  http?: number;
  /** RFC 6749 / RFC 6750 error name, where an OAuth endpoint or the operator API answers with it. */
  oauth?: string;
  /** FHIR R4 issue type, where the FHIR API answers with it (an OperationOutcome). */
  fhir?: string;
}

const input = (extra: Omit<ErrorMeaning, 'exit'> = {}): ErrorMeaning => ({ exit: 2, ...extra });
const fault = (extra: Omit<ErrorMeaning, 'exit'> = {}): ErrorMeaning => ({ exit: 1, ...extra });
const oauth = (http: number, error: string): ErrorMeaning => ({ exit: 2, http, oauth: error });

export const ERROR_CATALOGUE = {
  // Configuration and the command line.
  ERR_CONFIG: input(),
  ERR_USAGE: input(),
  ERR_TIME_ZONE: input(),

  // Device bytes (drivers/codecs): what a frame or characteristic value got wrong.
  ERR_TOO_SHORT: input(),
  ERR_TOO_LONG: input(),
  ERR_LENGTH_MISMATCH: input(),
  ERR_FLAGS_INCONSISTENT: input(),
  ERR_RESERVED_VALUE: input(),
  ERR_OUT_OF_RANGE: input(),
  ERR_CRC_MISMATCH: input(),
  ERR_CRC_MISSING: input(),
  ERR_INVALID_OPERATOR: input(),
  ERR_INVALID_OPERAND: input(),
  ERR_CHECKSUM_MISMATCH: input(),
  ERR_UNKNOWN_OPCODE: input(),
  ERR_MALFORMED: input(),
  ERR_INVALID_ARGUMENT: input(),

  // Meters and BLE devices.
  ERR_TIMEOUT: fault(),
  ERR_PORT_CLOSED: fault(),
  ERR_PORT_OPEN: input(),
  ERR_RETRIES_EXHAUSTED: fault(),
  ERR_PROTOCOL: fault(),
  ERR_INCOMPLETE: fault(),
  ERR_LINK_DISCONNECTED: fault(),
  ERR_LINK_TIMEOUT: fault(),
  ERR_LINK_GATT: fault(),
  ERR_LINK_MISSING: fault(),
  ERR_RACP: fault(),
  ERR_SENSOR_CONFIG: fault(),
  // BLE device choice and bonding: a wrong paired-devices file, a meter that needs a bond.
  ERR_BLE_PAIRED_FILE: input(),
  ERR_BLE_NEEDS_BOND: fault(),
  // `ble capture`: no device found, or a capture file that is not one.
  ERR_BLE_CAPTURE: input(),

  // The store, sync and backups.
  ERR_DEVICE_UNKNOWN: input({ http: 404, oauth: 'unknown_device' }),
  ERR_PERIOD_INVALID: input({ http: 409, oauth: 'invalid_request' }),
  // A recorder's PostgreSQL: unreachable, or its schema is newer than this build knows.
  ERR_STORE_UNAVAILABLE: fault(),
  ERR_STORE_SCHEMA: fault(),
  ERR_PAYLOAD_DECODE: input(),
  ERR_PAYLOAD_SHAPE: input(),
  ERR_WRONG_KEY: input(),
  ERR_DAMAGED: input(),
  ERR_TRUNCATED: input(),
  ERR_NOT_A_BACKUP: input(),
  ERR_BAD_KEY_FILE: input(),
  ERR_TOTP_KEY_MISSING: fault({ http: 500 }),
  ERR_TOTP_KEY_MISMATCH: fault({ http: 500 }),
  ERR_TOTP_KEY_DAMAGED: fault({ http: 500 }),
  ERR_TOTP_SECRET_DAMAGED: fault({ http: 500 }),

  // The HTTPS server: a route registered without a schema (a programming error, refused at start).
  ERR_ROUTE_SCHEMA: fault(),
  // Planned maintenance (HDDT §4.6): the affected endpoints answer 503 with Retry-After.
  ERR_MAINTENANCE: fault({ http: 503, oauth: 'temporarily_unavailable', fhir: 'transient' }),

  // The DiGA directory.
  ERR_DIRECTORY_UNAVAILABLE: fault({ http: 503, oauth: 'temporarily_unavailable' }),
  ERR_DIRECTORY_INVALID: fault({ http: 503, oauth: 'temporarily_unavailable' }),

  // The authorization server (RFC 6749 §5.2, RFC 9126, RFC 7009; HDDT's error table).
  ERR_OAUTH_INVALID_REQUEST: oauth(400, 'invalid_request'),
  ERR_OAUTH_INVALID_CLIENT: oauth(401, 'invalid_client'),
  ERR_OAUTH_INVALID_GRANT: oauth(400, 'invalid_grant'),
  ERR_OAUTH_UNAUTHORIZED_CLIENT: oauth(400, 'unauthorized_client'),
  ERR_OAUTH_UNSUPPORTED_GRANT_TYPE: oauth(400, 'unsupported_grant_type'),
  ERR_OAUTH_UNSUPPORTED_RESPONSE_TYPE: oauth(400, 'unsupported_response_type'),
  ERR_OAUTH_INVALID_SCOPE: oauth(400, 'invalid_scope'),
  ERR_OAUTH_INVALID_REQUEST_URI: oauth(400, 'invalid_request_uri'),
  ERR_OAUTH_REQUEST_NOT_SUPPORTED: oauth(400, 'request_not_supported'),
  ERR_OAUTH_ACCESS_DENIED: oauth(403, 'access_denied'),
  ERR_OAUTH_SERVER_ERROR: { exit: 1, http: 500, oauth: 'server_error' },
  ERR_OAUTH_TEMPORARILY_UNAVAILABLE: { exit: 1, http: 503, oauth: 'temporarily_unavailable' },

  // Access tokens at the resource servers (RFC 6750: 401 invalid_token; HDDT's 401 table).
  ERR_TOKEN_MISSING: oauth(401, 'invalid_token'),
  ERR_TOKEN_MALFORMED: oauth(401, 'invalid_token'),
  ERR_TOKEN_SIGNATURE_INVALID: oauth(401, 'invalid_token'),
  ERR_TOKEN_ISSUER_INVALID: oauth(401, 'invalid_token'),
  ERR_TOKEN_EXPIRED: oauth(401, 'invalid_token'),
  ERR_TOKEN_NOT_YET_VALID: oauth(401, 'invalid_token'),
  ERR_TOKEN_NOT_FOR_THIS_API: oauth(401, 'invalid_token'),
  ERR_GRANT_INACTIVE: oauth(401, 'invalid_token'),

  // The operator API (system clients).
  ERR_OPERATOR_INVALID_TOKEN: oauth(401, 'invalid_token'),
  ERR_OPERATOR_INSUFFICIENT_SCOPE: oauth(403, 'insufficient_scope'),
  ERR_OPERATOR_INVALID_REQUEST: oauth(400, 'invalid_request'),
  ERR_OPERATOR_NOT_FOUND: oauth(404, 'not_found'),
  ERR_OPERATOR_UNKNOWN_PATIENT: oauth(404, 'unknown_patient'),
  ERR_OPERATOR_UNKNOWN_DEVICE: oauth(404, 'unknown_device'),
  ERR_OPERATOR_SERVER_ERROR: { exit: 1, http: 500, oauth: 'server_error' },

  // The FHIR API, by the status it answers with (the OperationOutcome carries the detail).
  ERR_FHIR_BAD_REQUEST: input({ http: 400, fhir: 'processing' }),
  ERR_FHIR_INVALID_TOKEN: input({ http: 401, fhir: 'login' }),
  ERR_FHIR_NOT_FOUND: input({ http: 404, fhir: 'not-found' }),
  ERR_FHIR_METHOD_NOT_ALLOWED: input({ http: 405, fhir: 'not-supported' }),
  ERR_FHIR_NOT_ACCEPTABLE: input({ http: 406, fhir: 'not-supported' }),
  ERR_FHIR_UNSUPPORTED_MEDIA_TYPE: input({ http: 415, fhir: 'not-supported' }),
  ERR_FHIR_TOO_MANY_REQUESTS: input({ http: 429, fhir: 'throttled' }),
  ERR_FHIR_SERVER_ERROR: fault({ http: 500, fhir: 'exception' }),
  ERR_FHIR_UNAVAILABLE: fault({ http: 503, fhir: 'transient' }),

  // Date search values (a FHIR search parameter's value; answered as ERR_FHIR_BAD_REQUEST).
  ERR_DATE_PARAM: input({ http: 400, fhir: 'invalid' }),
  // Signing or verification keys that cannot be read (the token itself may be fine).
  ERR_KEYS_UNAVAILABLE: fault({ http: 503 }),
  // USB meters: node-hid or its hidraw backend missing.
  ERR_USB_UNAVAILABLE: fault(),

  // The simulators (firmware-bridge): a scenario file that is wrong, an ATT request refused or not answered.
  ERR_SCENARIO: input(),
  ERR_ATT_REQUEST: fault(),
  ERR_ATT_TIMEOUT: fault(),

  // The reference DiGA client.
  ERR_DIGA_NOT_PAIRED: { exit: 3 },
  ERR_DIGA_GRANT_REVOKED: { exit: 3 },
  ERR_DIGA_LOGIN_FAILED: fault(),
  ERR_DIGA_AUTHORIZATION_FAILED: fault(),
  ERR_DIGA_PROTOCOL: fault(),
  ERR_DIGA_SETTINGS: input(),
} as const satisfies Record<`ERR_${string}`, ErrorMeaning>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;
