// The DiGA's own access log (HDDT §4.5 "self-logged monitoring": both the DiGA and the DDR log every
// request/response pair): append-only JSON Lines, one file per UTC day `access-YYYY-MM-DD.jsonl` (0600) in its
// own folder (0700), kept `retentionDays` (at least 30) and then deleted. The lines are built by
// access-line.ts; this module only writes, lists and prunes the files. A failed write does not fail the request
// it describes: it is counted and reported through `onError` (by default once on stderr per run of failures).
import fs from 'node:fs';
import path from 'node:path';
import { dailyFileOf, dailyFiles, type DailyFile } from '../lib/daily-files.ts';
import type { MonitoringFields } from '../lib/request-log-fields.ts';
import { DigaClientError } from './errors.ts';

/** HDDT: kept at least 30 days, then deleted. */
export const MIN_RETENTION_DAYS = 30;
const DAY_MS = 86_400_000;

export interface AccessLogOptions {
  dir: string;
  /** Days kept (default and minimum 30). */
  retentionDays?: number;
  now?: () => number;
  onError?: (err: Error) => void;
}

export type AccessLogFile = DailyFile;

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function accessLogFileOf(dir: string, day: string): string {
  return dailyFileOf(dir, 'access', day);
}

/** The daily files of a folder, oldest first (other files are not the log's and are left alone). */
export function accessLogFiles(dir: string): AccessLogFile[] {
  return dailyFiles(dir, 'access');
}

/** Every line of every daily file, oldest first. */
export function readAccessLog(dir: string): MonitoringFields[] {
  return accessLogFiles(dir).flatMap((f) =>
    fs
      .readFileSync(f.file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as MonitoringFields),
  );
}

function settingsError(dir: string, why: string, cause?: unknown): DigaClientError {
  return new DigaClientError('settings', `access log folder ${dir}: ${why}`, { cause });
}

/** Makes the folder (0700) if it is missing and checks that it is a folder this process can write to. */
function prepareDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw settingsError(dir, 'is not a folder', err);
    throw settingsError(dir, `cannot be created (${code ?? err})`, err);
  }
  if (!fs.statSync(dir).isDirectory()) throw settingsError(dir, 'is not a folder');
  try {
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
  } catch (err) {
    throw settingsError(dir, 'is not writable', err);
  }
}

export class AccessLog {
  readonly dir: string;
  readonly retentionDays: number;
  private readonly now: () => number;
  private readonly onError: (err: Error) => void;
  private prunedDay = '';
  private failing = false;
  /** Lines that could not be written. */
  failures = 0;

  private constructor(dir: string, retentionDays: number, now: () => number, onError?: (err: Error) => void) {
    this.dir = dir;
    this.retentionDays = retentionDays;
    this.now = now;
    this.onError =
      onError ??
      ((err) => {
        if (!this.failing) process.stderr.write(`diga-client: access log not written: ${err.message}\n`);
      });
  }

  /** Opens (and creates) the folder and deletes the days past retention; a bad folder is a settings error. */
  static open(opts: AccessLogOptions): AccessLog {
    const days = opts.retentionDays ?? MIN_RETENTION_DAYS;
    if (!Number.isInteger(days) || days < MIN_RETENTION_DAYS) {
      throw new DigaClientError(
        'settings',
        `access log retention must be a whole number of at least ${MIN_RETENTION_DAYS} days (HDDT), got ${days}`,
      );
    }
    const dir = path.resolve(opts.dir);
    prepareDir(dir);
    const log = new AccessLog(dir, days, opts.now ?? Date.now, opts.onError);
    log.prune();
    return log;
  }

  /** Appends one line to the file of its timestamp's UTC day (one write, so lines never interleave). */
  append(fields: MonitoringFields): void {
    const day = fields.timestamp.slice(0, 10);
    if (day > this.prunedDay) this.prune(); // a new day
    try {
      fs.appendFileSync(accessLogFileOf(this.dir, day), `${JSON.stringify(fields)}\n`, { mode: 0o600 });
      this.failing = false;
    } catch (err) {
      this.failures++;
      this.onError(err as Error);
      this.failing = true;
    }
  }

  /** Deletes the files of days before `now` minus the retention period; returns the deleted files. */
  prune(now: number = this.now()): string[] {
    const cutoff = dayOf(now - this.retentionDays * DAY_MS);
    const removed: string[] = [];
    for (const f of accessLogFiles(this.dir)) {
      if (f.day >= cutoff) break;
      try {
        fs.rmSync(f.file, { force: true });
        removed.push(f.file);
      } catch (err) {
        this.onError(err as Error); // tried again at the next day or the next open
      }
    }
    this.prunedDay = dayOf(now);
    return removed;
  }
}
