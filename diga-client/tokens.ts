// The token file of one pairing (mode 0600). Tokens are never printed or logged; only their expiry and
// the granted scope are shown.
import fs from 'node:fs';
import { readJson, writeJsonPrivate } from './files.ts';

export interface StoredTokens {
  accessToken: string;
  refreshToken: string;
  /** Granted scope (what the patient consented to). */
  scope: string;
  /** `sub` of the token response: the Pairing ID. */
  pairingId: string;
  obtainedAtMs: number;
  expiresAtMs: number;
}

export class TokenFile {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  read(): StoredTokens | undefined {
    return readJson<StoredTokens>(this.path);
  }

  write(t: StoredTokens): void {
    writeJsonPrivate(this.path, t);
  }

  remove(): void {
    fs.rmSync(this.path, { force: true });
  }
}
