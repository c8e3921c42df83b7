// Operator login for the operator server when it listens beyond loopback: one configured operator (username +
// scrypt hash), an in-memory session cookie for the page, HTTP Basic for machine clients (/metrics,
// /status.json), a growing lockout per client address after failed attempts.
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

const KEY_LENGTH = 32;
const SCRYPT = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

function scryptAsync(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_LENGTH, SCRYPT, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** `scrypt:<16-byte salt hex>:<32-byte key hex>`, the format of operator.login.passwordHash. */
export async function hashPassword(password: string, salt: Buffer = randomBytes(16)): Promise<string> {
  return `scrypt:${salt.toString('hex')}:${(await scryptAsync(password, salt)).toString('hex')}`;
}

export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const m = /^scrypt:([0-9a-f]{32}):([0-9a-f]{64})$/.exec(encoded);
  if (!m) return false;
  const key = await scryptAsync(password, Buffer.from(m[1], 'hex'));
  return timingSafeEqual(key, Buffer.from(m[2], 'hex'));
}

/** 127.0.0.0/8, ::1, localhost: only this machine can connect. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (h.startsWith('::ffff:')) return isLoopbackHost(h.slice(7));
  return isIP(h) === 4 && h.startsWith('127.');
}

/** The Host header names this machine (guards a login-less loopback server against DNS rebinding). */
export function isLoopbackHostHeader(hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  const m = /^(\[[^\]]+\]|[^:]+)(?::\d+)?$/.exec(hostHeader);
  return m !== null && isLoopbackHost(m[1]);
}

export interface Credentials {
  username: string;
  passwordHash: string;
}

export class OperatorAuth {
  private readonly sessions = new Map<string, { lastMs: number }>();
  private readonly failures = new Map<string, { count: number; lockedUntilMs: number }>();
  /** sha256 of recently verified Basic headers: a Prometheus scrape every 15 s should not cost a scrypt each. */
  private readonly basicCache = new Map<string, number>();

  private readonly creds: Credentials;
  private readonly idleMs: number;
  private readonly now: () => number;

  constructor(creds: Credentials, idleMs: number, now: () => number = Date.now) {
    this.creds = creds;
    this.idleMs = idleMs;
    this.now = now;
  }

  lockedFor(client: string): number {
    const f = this.failures.get(client);
    return f ? Math.max(0, f.lockedUntilMs - this.now()) : 0;
  }

  /** Checks username and password; failures lock the client address out for 1 s, 2 s, 4 s ... up to 15 min. */
  async check(client: string, username: string, password: string): Promise<'ok' | 'invalid' | 'locked'> {
    if (this.lockedFor(client) > 0) return 'locked';
    const userOk = timingSafeEqual(
      createHash('sha256').update(username).digest(),
      createHash('sha256').update(this.creds.username).digest(),
    );
    const passOk = await verifyPassword(password, this.creds.passwordHash);
    if (userOk && passOk) {
      this.failures.delete(client);
      return 'ok';
    }
    const f = this.failures.get(client) ?? { count: 0, lockedUntilMs: 0 };
    f.count++;
    if (f.count >= 3) f.lockedUntilMs = this.now() + Math.min(900_000, 1000 * 2 ** (f.count - 3));
    this.failures.set(client, f);
    return 'invalid';
  }

  createSession(): string {
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, { lastMs: this.now() });
    return id;
  }

  /** True for a live session (and keeps it alive); expired sessions are forgotten. */
  touchSession(id: string | undefined): boolean {
    if (!id) return false;
    const s = this.sessions.get(id);
    if (!s) return false;
    const now = this.now();
    if (now - s.lastMs > this.idleMs) {
      this.sessions.delete(id);
      return false;
    }
    s.lastMs = now;
    return true;
  }

  endSession(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  /** `Authorization: Basic ...` → ok / invalid / locked / absent. */
  async checkBasic(
    client: string,
    header: string | undefined,
  ): Promise<'ok' | 'invalid' | 'locked' | 'absent'> {
    if (!header || !/^basic /i.test(header)) return 'absent';
    const digest = createHash('sha256').update(header).digest('hex');
    const cached = this.basicCache.get(digest);
    if (cached !== undefined && this.now() - cached < 300_000) return 'ok';
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return 'invalid';
    const result = await this.check(client, decoded.slice(0, colon), decoded.slice(colon + 1));
    if (result === 'ok') {
      if (this.basicCache.size > 100) this.basicCache.clear();
      this.basicCache.set(digest, this.now());
    }
    return result;
  }
}
