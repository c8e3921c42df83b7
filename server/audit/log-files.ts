// The daily files of the request log (`requests-YYYY-MM-DD.jsonl`, UTC days) and the file operations the
// writer needs: an append that leaves no partial line behind when the disk is full, and the tail of a file.
import fs from 'node:fs';
import { dailyFileOf, dailyFiles, type DailyFile } from '../../lib/daily-files.ts';

export type LogFile = DailyFile;

export function logFileOf(dir: string, day: string): string {
  return dailyFileOf(dir, 'requests', day);
}

/** The daily files, oldest first. */
export function logFiles(dir: string): LogFile[] {
  return dailyFiles(dir, 'requests');
}

export function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * Appends `text` whole or not at all: a write that fails halfway (ENOSPC) is cut back to the old size, so the
 * next attempt does not glue its lines onto half a line.
 */
export function appendWhole(file: string, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  const fd = fs.openSync(file, 'a', 0o600);
  try {
    const size = fs.fstatSync(fd).size;
    try {
      for (let off = 0; off < bytes.length;) off += fs.writeSync(fd, bytes, off, bytes.length - off);
    } catch (err) {
      try {
        fs.ftruncateSync(fd, size);
      } catch {
        // the size is checked again when the log opens (cutPartialLine)
      }
      throw err;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Removes an incomplete last line (the process died during a write); returns how many bytes went. */
export function cutPartialLine(file: string): number {
  const size = fileSize(file);
  if (size === 0) return 0;
  const { buf, from } = lastBytes(file, size, 1024 * 1024);
  if (buf[buf.length - 1] === 0x0a) return 0;
  const nl = buf.lastIndexOf(0x0a);
  if (nl < 0 && from > 0) return 0; // no line end in the last megabyte: not a cut line, leave it to verify
  const keep = nl >= 0 ? from + nl + 1 : 0;
  fs.truncateSync(file, keep);
  return size - keep;
}

function lastBytes(file: string, size: number, max: number): { buf: Buffer; from: number } {
  const fd = fs.openSync(file, 'r');
  try {
    const len = Math.min(size, max);
    const buf = Buffer.alloc(len);
    fs.readSync(fd, buf, 0, len, size - len);
    return { buf, from: size - len };
  } finally {
    fs.closeSync(fd);
  }
}

/** The complete lines among the last `max` bytes of a file, without their newlines. */
export function lastLines(file: string, max = 256 * 1024): string[] {
  const size = fileSize(file);
  if (size === 0) return [];
  const { buf, from } = lastBytes(file, size, max);
  const text = buf.toString('utf8');
  const lines = text.split('\n');
  lines.pop(); // after the last newline: empty, or a partial line
  if (from > 0) lines.shift(); // the first may be cut
  return lines;
}

/**
 * The lines of a file, without their newlines, read a megabyte at a time (a day's file can be large; a hub may
 * have 512 MB of memory). A last piece without a newline comes last, with `partial` true.
 */
export function* readLines(file: string): Generator<{ text: string; partial: boolean }> {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1024 * 1024);
    let rest = Buffer.alloc(0);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      let chunk = Buffer.concat([rest, buf.subarray(0, n)]);
      let nl: number;
      while ((nl = chunk.indexOf(0x0a)) >= 0) {
        yield { text: chunk.subarray(0, nl).toString('utf8'), partial: false };
        chunk = chunk.subarray(nl + 1);
      }
      rest = Buffer.from(chunk);
    }
    if (rest.length > 0) yield { text: rest.toString('utf8'), partial: true };
  } finally {
    fs.closeSync(fd);
  }
}
