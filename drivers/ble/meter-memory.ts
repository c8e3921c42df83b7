// The glucose meters' fingerprints from their last visit (sequence-reset.ts), one JSON file in the data directory,
// so a reset is still recognised after the gateway restarts. Without a file (tests, benches) it lives in memory.
// Written whole through a temp file and rename; an unreadable file is reported and treated as empty (detection then
// falls back to what the store alone shows: a highest sequence below the last stored one).
import fs from 'node:fs';
import path from 'node:path';
import type { MeterFingerprint } from './sequence-reset.ts';

export class MeterMemory {
  readonly file: string | null;
  private entries: Record<string, MeterFingerprint> | null = null;
  /** Why the file could not be read, once (for the log). */
  loadError: string | null = null;

  constructor(file: string | null) {
    this.file = file;
  }

  get(deviceKey: string): MeterFingerprint | null {
    return this.load()[deviceKey] ?? null;
  }

  set(deviceKey: string, fingerprint: MeterFingerprint): void {
    const entries = this.load();
    entries[deviceKey] = fingerprint;
    if (!this.file) return;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(entries, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }

  private load(): Record<string, MeterFingerprint> {
    if (this.entries) return this.entries;
    this.entries = {};
    if (!this.file) return this.entries;
    try {
      const doc = JSON.parse(fs.readFileSync(this.file, 'utf8')) as unknown;
      if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('not a JSON object');
      this.entries = doc as Record<string, MeterFingerprint>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        this.loadError = `${this.file}: ${(err as Error).message}`;
    }
    return this.entries;
  }
}
