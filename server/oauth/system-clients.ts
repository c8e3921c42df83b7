// System clients (the MDI security guidance's "API users"): a manufacturer's backend that calls the operator
// API with client_credentials over mTLS. They are registered in the configuration (server.operatorApi.clients:
// client_id, certificate file, allowed scopes), never in the DiGA directory, and their certificates are pinned
// exactly as DiGA certificates are (SHA-256 of the DER, no chain validation). A certificate file is read
// again when it changes on disk, so a renewal needs no restart.
import fs from 'node:fs';
import { ConfigError, dataPath } from '../../config/load.ts';
import type { GatewayConfig, SystemClientConfig } from '../../config/types.ts';
import { isOperatorScope } from './operator-scopes.ts';
import type { PeerCertificate } from '../shared/tls.ts';
import { operatorApiSettings } from './operator-settings.ts';
import { matchesPinned, pinCertificates, pinnedCertificateProblem } from '../shared/certificates.ts';
import { CLIENT_ID_PATTERN } from './directory.ts';

export interface SystemClient {
  clientId: string;
  name: string;
  scopes: string[];
  /** True when the DER certificate of the TLS handshake is exactly one in the client's certificate file. */
  matchesCertificate(der: Buffer | undefined | null): boolean;
}

interface Pinned {
  file: string;
  mtimeMs: number;
  size: number;
  fingerprints: Buffer[];
}

function readPins(file: string, clientId: string): Pinned {
  const where = `server.operatorApi.clients (${clientId}): certificateFile ${JSON.stringify(file)}`;
  let text: string;
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${where} cannot be read: ${(err as Error).message}`);
  }
  try {
    return { file, mtimeMs: st.mtimeMs, size: st.size, fingerprints: pinCertificates(text).fingerprints };
  } catch (err) {
    throw new ConfigError(`${where} ${(err as Error).message}`);
  }
}

class ConfiguredClient implements SystemClient {
  readonly clientId: string;
  readonly name: string;
  readonly scopes: string[];
  private pins: Pinned;

  constructor(cfg: SystemClientConfig, file: string) {
    if (CLIENT_ID_PATTERN.test(cfg.clientId) || cfg.clientId.startsWith('urn:diga:')) {
      throw new ConfigError(
        `server.operatorApi.clients: ${cfg.clientId} looks like a DiGA client id; system clients need their own`,
      );
    }
    const bad = cfg.scopes.find((s) => !isOperatorScope(s));
    if (bad !== undefined) {
      throw new ConfigError(`server.operatorApi.clients (${cfg.clientId}): ${bad} is not an operator scope`);
    }
    this.clientId = cfg.clientId;
    this.name = cfg.name ?? cfg.clientId;
    this.scopes = [...cfg.scopes];
    this.pins = readPins(file, cfg.clientId);
  }

  /** The pinned fingerprints; re-read when the file changed (a renewal). A broken new file keeps the old. */
  private fingerprints(): Buffer[] {
    try {
      const st = fs.statSync(this.pins.file);
      if (st.mtimeMs !== this.pins.mtimeMs || st.size !== this.pins.size) {
        this.pins = readPins(this.pins.file, this.clientId);
      }
    } catch {
      // Unreadable now: keep what was pinned at the last good read.
    }
    return this.pins.fingerprints;
  }

  matchesCertificate(der: Buffer | undefined | null): boolean {
    return matchesPinned(this.fingerprints(), der);
  }
}

export class SystemClients {
  private readonly byId = new Map<string, SystemClient>();

  constructor(config: GatewayConfig) {
    for (const c of operatorApiSettings(config).clients) {
      if (this.byId.has(c.clientId)) {
        throw new ConfigError(`server.operatorApi.clients lists ${c.clientId} twice`);
      }
      this.byId.set(c.clientId, new ConfiguredClient(c, dataPath(config, c.certificateFile)));
    }
  }

  get(clientId: string | undefined): SystemClient | undefined {
    return clientId === undefined ? undefined : this.byId.get(clientId);
  }

  get size(): number {
    return this.byId.size;
  }
}

/** Why `cert` does not authenticate `client` at `nowMs` (not its pinned one, or out of its validity). */
export function systemCertificateProblem(
  client: SystemClient,
  cert: PeerCertificate | undefined,
  nowMs: number,
): string | undefined {
  return pinnedCertificateProblem(cert, cert !== undefined && client.matchesCertificate(cert.der), nowMs)
    ?.error_description;
}

const registries = new WeakMap<GatewayConfig, SystemClients>();

/** The system clients of this configuration (read once per configuration; throws ConfigError when invalid). */
export function systemClients(config: GatewayConfig): SystemClients {
  let r = registries.get(config);
  if (!r) {
    r = new SystemClients(config);
    registries.set(config, r);
  }
  return r;
}
