// Where the client connects and how it authenticates: the gateway (issuer) URL, the FHIR base, the DiGA's
// client_id, redirect URI and certificate files, the folder for its tokens and poll state, and its access log.
import fs from 'node:fs';
import path from 'node:path';
import { DigaClientError } from './errors.ts';

export interface ClientSettings {
  /** Authorization server issuer, e.g. https://localhost:8443 (metadata at /.well-known/...). */
  issuer: string;
  /** FHIR base URL; default `<issuer>/fhir`. */
  fhirBase: string;
  /** `urn:diga:bfarm:NNNNN` */
  clientId: string;
  redirectUri: string;
  certFile: string;
  keyFile: string;
  caFile: string;
  /** Tokens (0600), poll state and, by default, the output file live here. */
  stateDir: string;
  /** JSON lines, one resource per line. */
  outFile: string;
  /**
   * The DiGA's access log (HDDT §4.5, access-log.ts): daily JSON Lines files in this folder. Default
   * `<stateDir>/access-log`; `null` turns it off (only ever on purpose).
   */
  accessLogDir?: string | null;
  /** Days the access log keeps (default and minimum 30). */
  accessLogRetentionDays?: number;
}

/** The access log's folder, or null when it was turned off. */
export function accessLogDirOf(s: ClientSettings): string | null {
  if (s.accessLogDir === null) return null;
  return s.accessLogDir ?? path.join(s.stateDir, 'access-log');
}

export const CLIENT_ID_RE = /^urn:diga:bfarm:\d{5}$/;

export interface TlsPem {
  ca: string;
  cert: string;
  key: string;
}

export function checkSettings(s: ClientSettings): void {
  if (!CLIENT_ID_RE.test(s.clientId)) {
    throw new DigaClientError('settings', `client id must look like urn:diga:bfarm:NNNNN, got ${s.clientId}`);
  }
  for (const [name, value] of [
    ['issuer', s.issuer],
    ['FHIR base', s.fhirBase],
    ['redirect URI', s.redirectUri],
  ] as const) {
    let u: URL;
    try {
      u = new URL(value);
    } catch {
      throw new DigaClientError('settings', `${name} is not a URL: ${value}`);
    }
    if (u.protocol !== 'https:') throw new DigaClientError('settings', `${name} must be https: ${value}`);
  }
}

export function readTls(s: ClientSettings): TlsPem {
  const read = (what: string, file: string) => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new DigaClientError('settings', `cannot read the ${what} ${file}: ${(err as Error).message}`);
    }
  };
  return {
    ca: read('CA file', s.caFile),
    cert: read('client certificate', s.certFile),
    key: read('client key', s.keyFile),
  };
}

export function defaultSettings(stateDir: string): Pick<ClientSettings, 'stateDir' | 'outFile'> {
  return { stateDir, outFile: path.join(stateDir, 'resources.jsonl') };
}
