// Where the request log continues after a start: the newer of the head recorded in the database and the last
// line of the newest file (a stop between writing a batch and recording it leaves the file ahead; a line counts
// only with a valid HMAC). An incomplete last line (the process died during a write) is cut off first.
import { listRequestLogDays, type RequestLogDayHead } from '../../gateway/store/request-log-head.ts';
import type { Store } from '../../gateway/store/store.ts';
import { cutPartialLine, fileSize, lastLines, logFileOf, logFiles, readLines } from './log-files.ts';
import { decodeLine, GENESIS, lineMac } from './request-log-line.ts';

export interface ResumePoint {
  seq: number;
  prev: string;
  /** The head of the newest day, if any line was ever written. */
  current?: RequestLogDayHead;
  /** The database's head is behind `current` (record it). */
  unrecorded: boolean;
  totalBytes: number;
  /** Bytes of an incomplete last line that were cut off, and from which day's file. */
  cut?: { bytes: number; day: string };
}

export function resumePoint(dir: string, store: Store, key: Buffer): ResumePoint {
  const newest = logFiles(dir).at(-1);
  const cutBytes = newest ? cutPartialLine(newest.file) : 0;
  const totalBytes = logFiles(dir).reduce((n, f) => n + fileSize(f.file), 0);
  const rows = listRequestLogDays(store);
  const head = rows.reduce<(typeof rows)[number] | undefined>(
    (a, r) => (a && a.last_seq >= r.last_seq ? a : r),
    undefined,
  );
  const last = newest ? lastValidLine(newest.file, key) : undefined;
  const point: ResumePoint = { seq: 0, prev: GENESIS, unrecorded: false, totalBytes };
  if (cutBytes > 0 && newest) point.cut = { bytes: cutBytes, day: newest.day };
  let day: string;
  if (last && newest && (!head || last.seq > head.last_seq)) {
    [point.seq, point.prev, day] = [last.seq, last.checksum, newest.day];
  } else if (head) {
    [point.seq, point.prev, day] = [head.last_seq, head.last_checksum, head.day];
  } else {
    return point;
  }
  const row = rows.find((r) => r.day === day);
  const file = logFileOf(dir, day);
  point.current = {
    day,
    firstSeq: row?.first_seq ?? firstSeq(file) ?? point.seq,
    lastSeq: point.seq,
    lastChecksum: point.prev,
    bytes: fileSize(file),
  };
  point.unrecorded = !row || row.last_seq < point.seq;
  return point;
}

function lastValidLine(file: string, key: Buffer): { seq: number; checksum: string } | undefined {
  const text = lastLines(file).at(-1);
  const d = text === undefined ? undefined : decodeLine(text);
  if (!d || typeof d === 'string' || lineMac(key, d.body) !== d.line.checksum) return undefined;
  return { seq: d.line.seq, checksum: d.line.checksum };
}

function firstSeq(file: string): number | undefined {
  if (fileSize(file) === 0) return undefined;
  let d: ReturnType<typeof decodeLine> = 'empty';
  for (const { text } of readLines(file)) {
    d = decodeLine(text);
    break; // closes the file
  }
  return typeof d === 'string' ? undefined : d.line.seq;
}
