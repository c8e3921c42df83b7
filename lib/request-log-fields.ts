// The fields of one line of HDDT's self-logged monitoring (spec/hddt.md §4.5), which both sides write: the DDR
// (server/audit/request-log-line.ts adds its chain and its counted lines) and the DiGA (diga-client/access-log.ts).
// One list, so the two logs of a request can be read side by side. Types only.

export type EventType = 'Transfer' | 'Connection' | 'Heartbeat' | 'Audit';

export interface MonitoringFields {
  /** ISO-8601 with time zone (UTC). */
  timestamp: string;
  /** The correlation id: the DiGA sends it as X-Request-ID and the DDR logs the same UUID. */
  transaction_id: string;
  pairing_id: string | null;
  /** HDDT: the FQDN of the executed operation (the DDR's host as configured, or the host the DiGA called). */
  partner_id: string | null;
  /** The DiGA's OAuth client_id when known. */
  client_id: string | null;
  interface_id: string;
  event_type: EventType;
  /** The HTTP status; 0 when there was no response (network error) or for a log's own lines. */
  status: number;
  error_code: string | null;
  error_description: string | null;
  response_time_ms: number;
  data_volume_bytes: number;
  message: string;
}
