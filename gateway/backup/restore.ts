// `restore`: decrypts and unpacks a backup into an empty data directory. Nothing is written to the target
// until the whole file has been authenticated: a wrong key, a truncated or a modified file leaves it untouched.
import { createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  BackupError,
  END,
  MAGIC,
  TAG_LENGTH,
  TRAILER_LENGTH,
  checkKey,
  deriveKey,
  type BackupHeader,
  type BackupKeySource,
} from './format.ts';

export interface RestoreOptions {
  file: string;
  dataDir: string;
  key: BackupKeySource;
  onProgress?: (done: number, total: number) => void;
}

interface Layout {
  header: BackupHeader;
  aad: Buffer;
  cipherStart: number;
  cipherEnd: number;
  tag: Buffer;
}

export function readLayout(file: string): Layout {
  const size = fs.statSync(file).size;
  const fd = fs.openSync(file, 'r');
  try {
    const read = (pos: number, len: number) => {
      const b = Buffer.alloc(len);
      const n = fs.readSync(fd, b, 0, len, pos);
      return b.subarray(0, n);
    };
    const head = read(0, MAGIC.length + 4);
    if (head.length < MAGIC.length || !head.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new BackupError('ERR_NOT_A_BACKUP', `${file} is not an hddt-gateway backup`);
    }
    if (head.length < MAGIC.length + 4) throw new BackupError('ERR_TRUNCATED', 'the backup is truncated');
    const headerLength = head.readUInt32BE(MAGIC.length);
    const cipherStart = MAGIC.length + 4 + headerLength;
    if (headerLength > 64 * 1024 || size < cipherStart + TAG_LENGTH + TRAILER_LENGTH) {
      throw new BackupError('ERR_TRUNCATED', 'the backup is truncated');
    }
    const trailer = read(size - TRAILER_LENGTH, TRAILER_LENGTH);
    const cipherEnd = size - TRAILER_LENGTH - TAG_LENGTH;
    if (!trailer.subarray(8).equals(END) || Number(trailer.readBigUInt64BE(0)) !== cipherEnd - cipherStart) {
      throw new BackupError('ERR_TRUNCATED', 'the backup is truncated (its end marker is missing)');
    }
    const headerBytes = read(MAGIC.length + 4, headerLength);
    let header: BackupHeader;
    try {
      header = JSON.parse(headerBytes.toString('utf8')) as BackupHeader;
    } catch {
      throw new BackupError('ERR_DAMAGED', 'the backup header is damaged');
    }
    if (header.version !== 1 || header.cipher !== 'aes-256-gcm' || typeof header.iv !== 'string') {
      throw new BackupError('ERR_DAMAGED', 'the backup header is damaged or of an unknown version');
    }
    return {
      header,
      aad: Buffer.concat([head, headerBytes]),
      cipherStart,
      cipherEnd,
      tag: read(cipherEnd, TAG_LENGTH),
    };
  } finally {
    fs.closeSync(fd);
  }
}

/** Parses the entry stream into files under `dir`, refusing names that would leave it. */
class EntryWriter extends Writable {
  private buf: Buffer = Buffer.alloc(0);
  private current: { fd: number; remaining: number } | undefined;
  ended = false;
  readonly names: string[] = [];

  private readonly dir: string;

  constructor(dir: string) {
    super();
    this.dir = dir;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    try {
      this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
      this.drain();
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  private drain(): void {
    for (;;) {
      if (this.current) {
        const n = Math.min(this.current.remaining, this.buf.length);
        if (n > 0) fs.writeSync(this.current.fd, this.buf, 0, n);
        this.buf = this.buf.subarray(n);
        this.current.remaining -= n;
        if (this.current.remaining > 0) return;
        fs.closeSync(this.current.fd);
        this.current = undefined;
        continue;
      }
      if (this.ended) {
        if (this.buf.length) throw new BackupError('ERR_DAMAGED', 'data after the end of the backup');
        return;
      }
      if (this.buf.length < 2) return;
      const nameLength = this.buf.readUInt16BE(0);
      if (nameLength === 0) {
        this.ended = true;
        this.buf = this.buf.subarray(2);
        continue;
      }
      if (this.buf.length < 2 + nameLength + 8) return;
      const name = this.buf.subarray(2, 2 + nameLength).toString('utf8');
      const size = Number(this.buf.readBigUInt64BE(2 + nameLength));
      this.buf = this.buf.subarray(2 + nameLength + 8);
      const target = path.resolve(this.dir, name);
      if (!target.startsWith(this.dir + path.sep))
        throw new BackupError('ERR_DAMAGED', `unsafe entry name ${name}`);
      fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
      this.current = { fd: fs.openSync(target, 'w', 0o600), remaining: size };
      this.names.push(name);
    }
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.current) fs.closeSync(this.current.fd);
    cb(
      this.current || !this.ended
        ? new BackupError('ERR_DAMAGED', 'the backup ends in the middle of a file')
        : null,
    );
  }
}

export async function restoreBackup(opts: RestoreOptions): Promise<{ entries: string[] }> {
  const dataDir = path.resolve(opts.dataDir);
  if (fs.existsSync(dataDir) && fs.readdirSync(dataDir).length > 0) {
    throw new Error(`restore needs an empty data directory; ${dataDir} is not empty`);
  }
  const layout = readLayout(opts.file);
  const key = deriveKey(opts.key, layout.header.kdf);
  checkKey(layout.header, key);

  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const staging = path.join(dataDir, `.restore-${randomBytes(6).toString('hex')}`);
  fs.mkdirSync(staging, { mode: 0o700 });
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(layout.header.iv, 'base64'));
    decipher.setAAD(layout.aad);
    decipher.setAuthTag(layout.tag);
    const total = layout.cipherEnd - layout.cipherStart;
    let done = 0;
    const input = fs.createReadStream(opts.file, { start: layout.cipherStart, end: layout.cipherEnd - 1 });
    input.on('data', (c) => {
      done += c.length;
      opts.onProgress?.(done, total);
    });
    const writer = new EntryWriter(staging);
    try {
      await pipeline(input, decipher, writer);
    } catch (err) {
      if (err instanceof BackupError) throw err;
      throw new BackupError('ERR_DAMAGED', 'the backup failed authentication: it was modified or damaged');
    }
    // authenticated: move everything into place
    for (const name of writer.names) {
      const target = path.join(dataDir, name);
      fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
      fs.renameSync(path.join(staging, name), target);
    }
    return { entries: writer.names };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
