// Before a meter's backfill: what its record store looks like now (RACP Number of Stored Records, the first and
// the last record), so sequence-reset.ts can tell a reset from new records. A meter that does not support an
// operator (response "op code / operator not supported") simply leaves that part unknown.
import { formatDateTime } from '../codecs/date-time.ts';
import { glucoseUserFacingTime, type GlucoseMeasurement } from '../codecs/glucose-measurement.ts';
import type { RacpRequest, RacpResponse } from '../codecs/racp.ts';
import type { MeterProbe, RecordMark } from './sequence-reset.ts';

/** The RACP client, and the records that arrived during the last request (held back from ingest). */
export interface ProbeChannel {
  request(req: RacpRequest): Promise<RacpResponse>;
  /** Starts holding records back; returns those held since, and stops. */
  capture(): () => GlucoseMeasurement[];
}

export function markOf(m: GlucoseMeasurement): RecordMark {
  return { seq: m.sequenceNumber, time: glucoseUserFacingTime(m) ?? formatDateTime(m.baseTime) };
}

async function count(ch: ProbeChannel): Promise<number | null> {
  const r = await ch.request({ opCode: 'report-number-of-stored-records', operator: 'all' });
  return r.opCode === 'number-of-stored-records-response' ? r.count : null;
}

/** The one record a request selects (first, last, or the one with a given sequence), or null. */
export async function oneRecord(ch: ProbeChannel, req: RacpRequest): Promise<RecordMark | null> {
  const stop = ch.capture();
  let records: GlucoseMeasurement[];
  try {
    await ch.request(req);
  } finally {
    records = stop();
  }
  const m = records.at(-1);
  return m ? markOf(m) : null;
}

export async function probeMeter(ch: ProbeChannel): Promise<MeterProbe> {
  const n = await count(ch);
  if (n === 0) return { count: 0, first: null, last: null };
  const first = await oneRecord(ch, { opCode: 'report-stored-records', operator: 'first' });
  const last = await oneRecord(ch, { opCode: 'report-stored-records', operator: 'last' });
  return { count: n, first, last };
}

/** The record with sequence `seq`, read again. */
export function recordAt(ch: ProbeChannel, seq: number): Promise<RecordMark | null> {
  return oneRecord(ch, {
    opCode: 'report-stored-records',
    operator: 'within-range',
    filter: { type: 'sequence-number', operands: [seq, seq] },
  });
}
