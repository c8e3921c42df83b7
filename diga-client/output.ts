// The output file: JSON lines, one FHIR resource per line, each (type, id, version) written once — also
// across runs (the keys of an existing file are read at start). Appends are synchronous, so a line is
// complete on disk when write() returns; a torn last line (power cut) is skipped when reading.
import fs from 'node:fs';
import path from 'node:path';
import type { FhirResource } from './fhir.ts';

export function resourceKey(r: FhirResource): string {
  return `${r.resourceType}/${r.id ?? '?'}/_history/${r.meta?.versionId ?? '?'}`;
}

export class JsonlSink {
  private readonly seen = new Set<string>();
  private fd: number;

  readonly file: string;

  constructor(file: string) {
    this.file = file;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    for (const r of readJsonl(file)) this.seen.add(resourceKey(r));
    this.fd = fs.openSync(file, 'a', 0o600);
  }

  get size(): number {
    return this.seen.size;
  }

  /** Appends the resource unless this version is in the file already; true if written. */
  write(r: FhirResource): boolean {
    const key = resourceKey(r);
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    fs.writeSync(this.fd, JSON.stringify(r) + '\n');
    return true;
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

/** All resources of a JSON lines file (missing file: none). */
export function readJsonl(file: string): FhirResource[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: FhirResource[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as FhirResource);
    } catch {
      // a torn last line
    }
  }
  return out;
}
