// The daily JSON Lines files of an append-only log, `<prefix>-YYYY-MM-DD.jsonl` (UTC days): the DDR's request
// log (server/audit/log-files.ts) and the DiGA client's access log (diga-client/access-log.ts) both keep one.
import fs from 'node:fs';
import path from 'node:path';

export interface DailyFile {
  /** YYYY-MM-DD (UTC). */
  day: string;
  file: string;
}

export function dailyFileOf(dir: string, prefix: string, day: string): string {
  return path.join(dir, `${prefix}-${day}.jsonl`);
}

/** The daily files of `prefix` in `dir`, oldest first (other files are not the log's and are left alone). */
export function dailyFiles(dir: string, prefix: string): DailyFile[] {
  if (!fs.existsSync(dir)) return [];
  const re = new RegExp(`^${prefix}-(\\d{4}-\\d{2}-\\d{2})\\.jsonl$`);
  return fs
    .readdirSync(dir)
    .map((n) => ({ n, m: re.exec(n) }))
    .filter((x): x is { n: string; m: RegExpExecArray } => x.m !== null)
    .map((x) => ({ day: x.m[1]!, file: path.join(dir, x.n) }))
    .sort((a, b) => a.day.localeCompare(b.day));
}
