// One line of the HDDT request log (spec/hddt.md §4.5): the 13 HDDT fields (plus `client_id` and, for lines
// that stand for many requests or for lines the log could not write, `aggregate` / `dropped`), a sequence
// number, the previous line's checksum and its own checksum: HMAC-SHA256 under a key kept in the database, over
// the exact bytes of the line before the checksum. Without the key nobody can edit a line and recompute the
// chain; the sequence numbers and the head kept in the database (gateway/store/request-log-head.ts) show lines
// cut off the end and files deleted.
import { createHmac } from 'node:crypto';
import type { MonitoringFields } from '../../lib/request-log-fields.ts';

export type { EventType } from '../../lib/request-log-fields.ts';

/** A line that counts the requests of one client address in one minute (floods: no client certificate, 429). */
export interface AggregateInfo {
  kind: 'unauthenticated' | 'throttled';
  client_address: string;
  count: number;
  period_start: string;
  period_end: string;
  /** Requests per interface and per status. */
  interfaces: Record<string, number>;
  statuses: Record<string, number>;
}

/** A line that records lines the log did not write. */
export interface DroppedInfo {
  reason: 'cap' | 'queue_full';
  count: number;
  period_start: string;
  period_end: string;
}

/** The HDDT fields (lib/request-log-fields.ts, shared with the DiGA client's access log) and the counted lines. */
export interface RequestLogFields extends MonitoringFields {
  aggregate?: AggregateInfo;
  dropped?: DroppedInfo;
}

export interface RequestLogLine extends RequestLogFields {
  seq: number;
  prev_checksum: string;
  checksum: string;
}

/** The predecessor of the first line. */
export const GENESIS = '0'.repeat(64);

const TAIL_RE = /,"checksum":"([0-9a-f]{64})"\}$/;

export function lineMac(key: Buffer, body: string): string {
  return createHmac('sha256', key).update(body).digest('hex');
}

/** The line's text (with its newline) and checksum. */
export function encodeLine(
  key: Buffer,
  seq: number,
  prev: string,
  fields: RequestLogFields,
): { text: string; checksum: string } {
  const body = JSON.stringify({ ...fields, seq, prev_checksum: prev });
  const checksum = lineMac(key, body);
  return { text: `${body.slice(0, -1)},"checksum":"${checksum}"}\n`, checksum };
}

export interface DecodedLine {
  line: RequestLogLine;
  /** The bytes the checksum covers. */
  body: string;
}

/** Parses one line (without its newline); a string names what is wrong with it. */
export function decodeLine(text: string): DecodedLine | string {
  const m = TAIL_RE.exec(text);
  if (!m) return 'not a log line (no checksum at its end)';
  const body = `${text.slice(0, m.index)}}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return 'not JSON';
  }
  const p = parsed as Partial<RequestLogLine> | null;
  if (!p || typeof p !== 'object' || !Number.isSafeInteger(p.seq) || typeof p.prev_checksum !== 'string')
    return 'no sequence number or previous checksum';
  if (typeof p.timestamp !== 'string') return 'no timestamp';
  return { line: { ...(p as RequestLogLine), checksum: m[1]! }, body };
}
