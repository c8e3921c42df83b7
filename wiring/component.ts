// What a part of the running gateway is: something that starts with the context and returns its stop.
import type { GatewayConfig } from '../config/types.ts';
import type { ReadingPort } from '../gateway/ingest/port.ts';
import type { Logger } from '../gateway/log.ts';
import type { Store } from '../gateway/store/store.ts';

export interface GatewayContext {
  config: GatewayConfig;
  store: Store;
  /** Where drivers hand over readings (ingest with the configuration's mapping and retention). */
  port: ReadingPort;
  log: Logger;
}

export interface Component {
  name: string;
  /** Starts the part; resolves to its stop function once it runs. */
  start(ctx: GatewayContext): Promise<() => Promise<void>>;
}

export interface RunningGateway {
  ctx: GatewayContext;
  stop(): Promise<void>;
}
