// Wiring of the server's services from the configuration, periodic housekeeping, and start-up.
import fs from 'node:fs';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { dataPath } from '../config/load.ts';
import type { GatewayConfig } from '../config/types.ts';
import { deleteExpiredSessions } from '../gateway/store/oauth-accounts.ts';
import { deleteExpiredRefreshTokens } from '../gateway/store/oauth-grants.ts';
import { deleteExpiredRequests } from '../gateway/store/oauth-requests.ts';
import { openGatewayStore } from '../gateway/open-store.ts';
import type { Store } from '../gateway/store/store.ts';
import { buildServer, type BuildServerOptions } from './app.ts';
import { prunePrivacyTrail } from './audit/privacy-trail.ts';
import { systemClock, type Clock } from './clock.ts';
import { DigaDirectory } from './oauth/directory.ts';
import { SigningKeys } from './oauth/keys.ts';
import { revokeInactiveClients } from './oauth/pairing.ts';
import { systemClients } from './oauth/system-clients.ts';
import { AccessTokenVerifier } from './oauth/token-verifier.ts';
import { deviceTokenVerifier } from './policy/device-token.ts';
import type { ServerServices } from './services.ts';
import { MaintenanceBoard } from './service/maintenance-board.ts';

export interface ServicesOptions {
  store?: Store;
  clock?: Clock;
  logger?: Logger;
  /** Where the signing keys live (default <dataDir>/keys). */
  keysDir?: string;
}

export async function createServices(
  config: GatewayConfig,
  opts: ServicesOptions = {},
): Promise<ServerServices> {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? pino({ level: config.log.level });
  const store = opts.store ?? openGatewayStore(config);
  const dir = config.server.directory;
  const directory = new DigaDirectory({
    source: /^https:\/\//i.test(dir.source) ? dir.source : path.resolve(dir.source),
    ca: dir.caFile ? fs.readFileSync(dir.caFile, 'utf8') : null,
    cacheSeconds: dir.cacheSeconds,
    timeoutMs: dir.timeoutMs,
    clock,
    logger,
  });
  const keys = await SigningKeys.open({
    dir: opts.keysDir ?? dataPath(config, 'keys'),
    clock,
    maxTokenSeconds: config.server.oauth.accessTokenSeconds,
    rotationDays: config.server.oauth.signingKeyRotationDays,
  });
  // System clients of the operator API: a bad entry (unreadable certificate, DiGA-like id) stops start-up.
  systemClients(config);
  const deviceTokens = deviceTokenVerifier(config, clock);
  const accessTokens = new AccessTokenVerifier(keys, config);
  const services: ServerServices = {
    config,
    store,
    directory,
    keys,
    accessTokens,
    logger,
    clock,
    deviceTokens,
    maintenance: new MaintenanceBoard(store, clock),
  };
  directory.onRefresh((entries) => {
    revokeInactiveClients(services, entries);
  });
  return services;
}

/**
 * Deletes what has expired and prunes the privacy trail beyond its retention. (Expired consents are ended by
 * the consent-expiry job, wiring/consent-expiry.ts.)
 */
export async function housekeeping(services: ServerServices): Promise<void> {
  const now = services.clock.now().getTime();
  const { store } = services;
  deleteExpiredSessions(store, now);
  // Codes stay a day past expiry so a late replay is still recognised (and revokes what it produced).
  deleteExpiredRequests(store, now - 86_400_000);
  deleteExpiredRefreshTokens(store, now - 86_400_000);
  prunePrivacyTrail(store, now, services.config.server.privacyAuditRetentionDays);
  await services.keys.rotateIfDue();
}

export interface RunningServer {
  services: ServerServices;
  url: string;
  close(): Promise<void>;
}

/** Builds and starts the HTTPS server with directory auto-refresh and hourly housekeeping. */
export async function startServer(
  services: ServerServices,
  options: BuildServerOptions & { host?: string; port?: number } = {},
): Promise<RunningServer> {
  const app = await buildServer(services, options);
  const cfg = services.config.server;
  await app.listen({ host: options.host ?? cfg.host, port: options.port ?? cfg.port });
  services.directory.startAutoRefresh();
  services.directory.refresh().catch(() => undefined);
  const runHousekeeping = () =>
    housekeeping(services).catch((err: unknown) => services.logger.error({ err }, 'housekeeping failed'));
  // Once at start, then hourly.
  void runHousekeeping();
  const timer = setInterval(runHousekeeping, 3_600_000);
  timer.unref();
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : cfg.port;
  return {
    services,
    url: `https://localhost:${port}`,
    async close() {
      clearInterval(timer);
      services.directory.stop();
      await app.close();
    },
  };
}
