// DiGA directory (DiGA-VZ) client. Entries come from a JSON file or an HTTPS URL and are trusted for at
// most `cacheSeconds` (HDDT: 4 h). When the cache is stale and the source cannot be read, every lookup
// throws DirectoryUnavailableError, so requests relying on it are rejected (HDDT security §caching).
// After each successful refresh the listeners run; the server uses that to revoke everything of clients
// that were removed or retired.
import { GatewayError } from '../../lib/errors.ts';
import fs from 'node:fs';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import {
  matchesPinned,
  pinCertificates,
  type CertificateWindow,
  type PinnedCertificates,
} from '../shared/certificates.ts';
import { fetchHttps } from './fetch-https.ts';

export const CLIENT_ID_PATTERN = /^urn:diga:bfarm:\d{5}$/;

export type DirectoryStatus = 'active' | 'retired';

export interface DirectoryEntry {
  clientId: string;
  /** Display name for the consent page. */
  name: string;
  status: DirectoryStatus;
  /** Registered redirect URIs, compared by exact string match. */
  redirectUris: string[];
  /** SMART scopes the DiGA is authorized for (per MIV, plus Device/DeviceMetric). */
  scopes: string[];
  /** The registered client certificate(s), PEM; more than one during a renewal overlap. */
  certificatePem: string;
  /** Validity windows of the registered certificates (an entry with none valid counts as not registered). */
  certificates: CertificateWindow[];
  /** True when the DER certificate presented in the TLS handshake is exactly a registered one. */
  matchesCertificate(der: Buffer | undefined | null): boolean;
}

export class DirectoryUnavailableError extends GatewayError {
  constructor(message: string) {
    super('ERR_DIRECTORY_UNAVAILABLE', message);
  }
}

export class DirectoryFormatError extends GatewayError {
  constructor(message: string) {
    super('ERR_DIRECTORY_INVALID', message);
  }
}

export interface DirectoryOptions {
  /** A file path or an https:// URL. */
  source: string;
  /** Extra CA certificate (PEM) for an https source. */
  ca?: string | null;
  cacheSeconds: number;
  timeoutMs: number;
  clock: Clock;
  logger?: Logger;
  /** After a failed fetch, further fetches wait this long (lookups on a stale cache fail fast meanwhile). */
  retryAfterFailureMs?: number;
}

export type DirectoryListener = (entries: ReadonlyMap<string, DirectoryEntry>) => void | Promise<void>;

function makeEntry(raw: Record<string, unknown>, index: number): DirectoryEntry {
  const where = `directory entry ${index}`;
  const clientId = raw.client_id;
  if (typeof clientId !== 'string' || !CLIENT_ID_PATTERN.test(clientId)) {
    throw new DirectoryFormatError(`${where}: client_id must look like urn:diga:bfarm:12345`);
  }
  const status = raw.status;
  if (status !== 'active' && status !== 'retired') {
    throw new DirectoryFormatError(`${where} (${clientId}): status must be "active" or "retired"`);
  }
  const strings = (key: string): string[] => {
    const v = raw[key];
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || s.length === 0)) {
      throw new DirectoryFormatError(`${where} (${clientId}): ${key} must be an array of strings`);
    }
    return [...(v as string[])];
  };
  const redirectUris = strings('redirect_uris');
  for (const uri of redirectUris) {
    let u: URL;
    try {
      u = new URL(uri);
    } catch {
      throw new DirectoryFormatError(
        `${where} (${clientId}): redirect URI ${JSON.stringify(uri)} is not a URL`,
      );
    }
    if (u.hash)
      throw new DirectoryFormatError(`${where} (${clientId}): redirect URI must not have a fragment`);
  }
  const scopes = strings('scopes');
  const pem = raw.certificate;
  if (typeof pem !== 'string')
    throw new DirectoryFormatError(`${where} (${clientId}): certificate (PEM) missing`);
  let pins: PinnedCertificates;
  try {
    pins = pinCertificates(pem);
  } catch (err) {
    throw new DirectoryFormatError(`${where} (${clientId}): certificate ${(err as Error).message}`);
  }
  const name = typeof raw.name === 'string' && raw.name.length > 0 ? raw.name : clientId;
  return Object.freeze({
    clientId,
    name,
    status,
    redirectUris,
    scopes,
    certificatePem: pem,
    certificates: pins.windows,
    matchesCertificate: (der: Buffer | undefined | null) => matchesPinned(pins.fingerprints, der),
  });
}

/** Parses a directory document `{ "entries": [ ... ] }`. Any invalid entry rejects the whole document. */
export function parseDirectory(text: string): Map<string, DirectoryEntry> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new DirectoryFormatError(`directory is not JSON: ${(err as Error).message}`);
  }
  const entries = (doc as { entries?: unknown } | null)?.entries;
  if (!Array.isArray(entries))
    throw new DirectoryFormatError('directory must be an object with an "entries" array');
  const map = new Map<string, DirectoryEntry>();
  entries.forEach((raw, i) => {
    if (typeof raw !== 'object' || raw === null)
      throw new DirectoryFormatError(`directory entry ${i} is not an object`);
    const entry = makeEntry(raw as Record<string, unknown>, i);
    if (map.has(entry.clientId)) throw new DirectoryFormatError(`directory lists ${entry.clientId} twice`);
    map.set(entry.clientId, entry);
  });
  return map;
}

export class DigaDirectory {
  private readonly opts: DirectoryOptions;
  private cache: Map<string, DirectoryEntry> | undefined;
  private fetchedMs = 0;
  private failedMs = 0;
  private inflight: Promise<void> | undefined;
  private readonly listeners: DirectoryListener[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(opts: DirectoryOptions) {
    this.opts = opts;
  }

  /** Runs after every successful refresh with the new entries. */
  onRefresh(listener: DirectoryListener): void {
    this.listeners.push(listener);
  }

  private now(): number {
    return this.opts.clock.now().getTime();
  }

  /** True while the cached copy may be used without asking the source. */
  isFresh(): boolean {
    return this.cache !== undefined && this.now() - this.fetchedMs < this.opts.cacheSeconds * 1000;
  }

  private async load(): Promise<Map<string, DirectoryEntry>> {
    const src = this.opts.source;
    const text = /^https:\/\//i.test(src)
      ? await fetchHttps(src, { ca: this.opts.ca, timeoutMs: this.opts.timeoutMs, maxBytes: 8 * 1024 * 1024 })
      : await fs.promises.readFile(src, 'utf8');
    return parseDirectory(text);
  }

  /** Reads the source now. Throws DirectoryUnavailableError when it cannot be read or is invalid. */
  refresh(): Promise<void> {
    if (!this.inflight) {
      this.inflight = (async () => {
        try {
          let entries: Map<string, DirectoryEntry>;
          try {
            entries = await this.load();
          } catch (err) {
            this.failedMs = this.now();
            this.opts.logger?.warn({ err: (err as Error).message }, 'DiGA directory could not be read');
            throw new DirectoryUnavailableError(`DiGA directory unavailable: ${(err as Error).message}`);
          }
          this.cache = entries;
          this.fetchedMs = this.now();
          this.failedMs = 0;
          for (const l of this.listeners) {
            try {
              await l(entries);
            } catch (err) {
              this.opts.logger?.error({ err }, 'DiGA directory listener failed');
            }
          }
        } finally {
          this.inflight = undefined;
        }
      })();
    }
    return this.inflight;
  }

  private async ensureFresh(): Promise<Map<string, DirectoryEntry>> {
    if (this.isFresh()) return this.cache!;
    const retryMs = this.opts.retryAfterFailureMs ?? 5000;
    if (this.failedMs !== 0 && this.now() - this.failedMs < retryMs) {
      throw new DirectoryUnavailableError('DiGA directory unavailable and the cached copy is stale');
    }
    await this.refresh();
    return this.cache!;
  }

  /** The entry of a client (active or retired), or undefined when the directory does not list it. */
  async lookup(clientId: string): Promise<DirectoryEntry | undefined> {
    return (await this.ensureFresh()).get(clientId);
  }

  async entries(): Promise<DirectoryEntry[]> {
    return [...(await this.ensureFresh()).values()];
  }

  /** Refreshes in the background before the cache runs stale (timer does not keep the process alive). */
  startAutoRefresh(): void {
    if (this.timer) return;
    const every = Math.max(1000, Math.floor((this.opts.cacheSeconds * 1000) / 2));
    this.timer = setInterval(() => {
      this.refresh().catch(() => undefined);
    }, every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
