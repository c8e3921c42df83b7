// What the operator server's routes share, decorated on its fastify instance as `operator`: the gateway's
// configuration, store, live probes and metrics, the operator login (null on a login-less loopback server)
// and the clock.
import type { GatewayConfig } from '../../config/types.ts';
import type { Logger } from '../../gateway/log.ts';
import type { Store } from '../../gateway/store/store.ts';
import type { OperatorAuth } from './auth.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { OperatorProbes } from './probes.ts';
import type { StatusSource } from './status.ts';

export interface OperatorContext {
  config: GatewayConfig;
  probes: OperatorProbes;
  metrics: GatewayMetrics;
  auth: OperatorAuth | null;
  /** What the status snapshot is read from (config, store, probes). */
  source: StatusSource & { store: Store; probes: OperatorProbes };
  now: () => number;
  log?: Logger;
  /** Cookies are Secure when the server speaks TLS. */
  secureCookies: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The operator server's shared services (server/operator/context.ts); operator server only. */
    operator: OperatorContext;
  }
}

export const SESSION_COOKIE = 'hddt_operator';
