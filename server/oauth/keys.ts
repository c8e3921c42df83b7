// ES256 signing keys for access tokens. Made on first start and kept in <dataDir>/keys (0700) in one
// JSON file (0600). Rotation makes a new active key; retired keys keep verifying until every token they
// signed has expired, then they are dropped. Each key is named by its JWK thumbprint (`kid`).
import fs from 'node:fs';
import path from 'node:path';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type CryptoKey,
  type JWK,
} from 'jose';
import type { Clock } from '../clock.ts';

interface StoredKey {
  kid: string;
  createdMs: number;
  /** When it stopped signing; null for the active key. */
  retiredMs: number | null;
  privateJwk: JWK;
  publicJwk: JWK;
}

interface LoadedKey extends StoredKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

export interface SigningKeysOptions {
  dir: string;
  clock: Clock;
  /** Longest access-token lifetime: how long a retired key must still verify. */
  maxTokenSeconds: number;
  /** A new key is made when the active one is older than this. */
  rotationDays: number;
}

const FILE = 'oauth-signing-keys.json';

async function newKey(nowMs: number): Promise<StoredKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
  const privateJwk = await exportJWK(privateKey);
  return {
    kid,
    createdMs: nowMs,
    retiredMs: null,
    privateJwk: { ...privateJwk, kid, alg: 'ES256', use: 'sig' },
    publicJwk: { ...publicJwk, kid, alg: 'ES256', use: 'sig' },
  };
}

async function load(k: StoredKey): Promise<LoadedKey> {
  return {
    ...k,
    privateKey: (await importJWK(k.privateJwk, 'ES256')) as CryptoKey,
    publicKey: (await importJWK(k.publicJwk, 'ES256')) as CryptoKey,
  };
}

export class SigningKeys {
  private keys: LoadedKey[];
  private readonly opts: SigningKeysOptions;

  private constructor(opts: SigningKeysOptions, keys: LoadedKey[]) {
    this.opts = opts;
    this.keys = keys;
  }

  /** Opens (or creates) the key file; rotates when the active key is due. */
  static async open(opts: SigningKeysOptions): Promise<SigningKeys> {
    fs.mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    const file = path.join(opts.dir, FILE);
    let stored: StoredKey[] = [];
    if (fs.existsSync(file)) {
      const mode = fs.statSync(file).mode & 0o777;
      if (mode & 0o077) fs.chmodSync(file, 0o600);
      stored = (JSON.parse(fs.readFileSync(file, 'utf8')) as { keys: StoredKey[] }).keys;
    }
    const keys = await Promise.all(stored.map(load));
    const ks = new SigningKeys(opts, keys);
    if (!keys.some((k) => k.retiredMs === null)) await ks.rotate();
    else await ks.rotateIfDue();
    return ks;
  }

  private save(): void {
    const file = path.join(this.opts.dir, FILE);
    const tmp = `${file}.${process.pid}.tmp`;
    const stored: StoredKey[] = this.keys.map(({ kid, createdMs, retiredMs, privateJwk, publicJwk }) => ({
      kid,
      createdMs,
      retiredMs,
      privateJwk,
      publicJwk,
    }));
    fs.writeFileSync(tmp, JSON.stringify({ keys: stored }, null, 2), { mode: 0o600 });
    fs.renameSync(tmp, file);
  }

  /** Retires the active key (it still verifies) and makes a new one. */
  async rotate(): Promise<string> {
    const now = this.opts.clock.now().getTime();
    for (const k of this.keys) if (k.retiredMs === null) k.retiredMs = now;
    const fresh = await load(await newKey(now));
    this.keys.push(fresh);
    this.prune(now);
    this.save();
    return fresh.kid;
  }

  async rotateIfDue(): Promise<boolean> {
    const now = this.opts.clock.now().getTime();
    if (now - this.active().createdMs < this.opts.rotationDays * 86_400_000) {
      if (this.prune(now)) this.save();
      return false;
    }
    await this.rotate();
    return true;
  }

  /** Drops retired keys whose last token has expired (plus a minute of clock skew). */
  private prune(now: number): boolean {
    const keepMs = (this.opts.maxTokenSeconds + 60) * 1000;
    const before = this.keys.length;
    this.keys = this.keys.filter((k) => k.retiredMs === null || now - k.retiredMs < keepMs);
    return this.keys.length !== before;
  }

  active(): { kid: string; privateKey: CryptoKey; createdMs: number } {
    const k = this.keys.findLast((x) => x.retiredMs === null);
    if (!k) throw new Error('no active signing key');
    return k;
  }

  /** Public key for a `kid`, or undefined when unknown (or pruned). */
  publicKey(kid: string): CryptoKey | undefined {
    return this.keys.find((k) => k.kid === kid)?.publicKey;
  }

  /** Public keys as a JWK Set (for a resource server running elsewhere). */
  jwks(): { keys: JWK[] } {
    return { keys: this.keys.map((k) => k.publicJwk) };
  }
}
