// `backup`: a consistent online snapshot (SQLite backup API, the gateway keeps running) of the database plus
// the other files of the data directory (keys, salts, logs), encrypted with AES-256-GCM.
import { createCipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Store } from '../store/store.ts';
import { END, MAGIC, encodeEntryHeader, newHeader, type BackupKeySource } from './format.ts';

export interface BackupOptions {
  store: Store;
  dataDir: string;
  out: string;
  key: BackupKeySource;
  onProgress?: (done: number, total: number) => void;
}

export interface BackupResult {
  file: string;
  entries: string[];
  bytes: number;
}

/** Files of the data directory that belong in a backup (the live database travels as its snapshot). */
function dataFiles(dataDir: string, dbFile: string): string[] {
  const skip = new Set([dbFile, `${dbFile}-wal`, `${dbFile}-shm`, `${dbFile}-journal`]);
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dataDir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.isFile() && !skip.has(path.join(dataDir, r)) && !e.name.startsWith('.backup-')) out.push(r);
    }
  };
  walk('');
  return out.sort();
}

export async function createBackup(opts: BackupOptions): Promise<BackupResult> {
  const dataDir = path.resolve(opts.dataDir);
  const dbFile = path.resolve(opts.store.path);
  const snapshot = path.join(dataDir, `.backup-${randomBytes(6).toString('hex')}.sqlite`);
  const partial = `${opts.out}.partial`;
  try {
    await opts.store.db.backup(snapshot);
    fs.chmodSync(snapshot, 0o600);
    const files: Array<{ name: string; file: string }> = [
      { name: path.relative(dataDir, dbFile), file: snapshot },
      ...dataFiles(dataDir, dbFile).map((name) => ({ name, file: path.join(dataDir, name) })),
    ];
    const total = files.reduce((n, f) => n + fs.statSync(f.file).size, 0);
    const { header, key } = newHeader(opts.key);
    const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
    const prefix = Buffer.alloc(MAGIC.length + 4);
    MAGIC.copy(prefix);
    prefix.writeUInt32BE(headerBytes.length, MAGIC.length);
    const aad = Buffer.concat([prefix, headerBytes]);
    const cipher = createCipheriv('aes-256-gcm', key, Buffer.from(header.iv, 'base64'));
    cipher.setAAD(aad);

    let done = 0;
    async function* plaintext() {
      for (const f of files) {
        const size = fs.statSync(f.file).size;
        yield encodeEntryHeader(f.name, size);
        for await (const chunk of fs.createReadStream(f.file)) {
          done += (chunk as Buffer).length;
          opts.onProgress?.(done, total);
          yield chunk as Buffer;
        }
      }
      yield Buffer.alloc(2); // end marker: an empty name
    }

    fs.writeFileSync(partial, aad, { mode: 0o600 });
    let cipherBytes = 0;
    const out = fs.createWriteStream(partial, { flags: 'a' });
    const count = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        cipherBytes += chunk.length;
        cb(null, chunk);
      },
    });
    await pipeline(Readable.from(plaintext()), cipher, count, out);
    const trailer = Buffer.alloc(8);
    trailer.writeBigUInt64BE(BigInt(cipherBytes));
    fs.appendFileSync(partial, Buffer.concat([cipher.getAuthTag(), trailer, END]));
    fs.renameSync(partial, opts.out);
    return { file: opts.out, entries: files.map((f) => f.name), bytes: fs.statSync(opts.out).size };
  } finally {
    fs.rmSync(snapshot, { force: true });
    fs.rmSync(partial, { force: true });
  }
}
