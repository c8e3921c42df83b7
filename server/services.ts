// The services every route plugin shares, created once per process and handed to buildServer().
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/types.ts';
import type { Store } from '../gateway/store/store.ts';
import type { Clock } from './clock.ts';
import type { DigaDirectory } from './oauth/directory.ts';
import type { SigningKeys } from './oauth/keys.ts';
import type { AccessTokenVerifier } from './oauth/token-verifier.ts';
import type { DeviceTokenVerifier } from './policy/device-token.ts';
import type { MaintenanceBoard } from './service/maintenance-board.ts';

export interface ServerServices {
  config: GatewayConfig;
  store: Store;
  directory: DigaDirectory;
  keys: SigningKeys;
  /** Verifies this server's access tokens for every API (holds the cache of verified tokens). */
  accessTokens: AccessTokenVerifier;
  logger: Logger;
  clock: Clock;
  /** Checks DSR device tokens against the configured issuer keys (holds their cache). */
  deviceTokens: DeviceTokenVerifier;
  /** Maintenance windows for the status feed and the 503 gate of each API (server/service). */
  maintenance: MaintenanceBoard;
}
