// The process wiring, in one place: configuration → store → drivers, servers and sync as configured. Each
// part is a Component (component.ts) that starts and stops; nothing downstream calls back upstream.
import type { GatewayConfig } from '../config/types.ts';
import { ingestOptionsFromConfig } from '../gateway/hddt/mapping.ts';
import { storePort } from '../gateway/ingest/port.ts';
import type { Logger } from '../gateway/log.ts';
import { openGatewayStore } from '../gateway/open-store.ts';
import type { Component, GatewayContext, RunningGateway } from './component.ts';
import { timeKeeper } from './jobs.ts';

export async function startGateway(
  config: GatewayConfig,
  log: Logger,
  components: Component[] = [timeKeeper],
): Promise<RunningGateway> {
  const store = openGatewayStore(config);
  const ctx: GatewayContext = { config, store, port: storePort(store, ingestOptionsFromConfig(config)), log };
  const stops: Array<{ name: string; stop: () => Promise<void> }> = [];
  try {
    for (const c of components) {
      stops.push({ name: c.name, stop: await c.start(ctx) });
      log.info({ component: c.name }, 'started');
    }
  } catch (err) {
    for (const s of stops.reverse()) await s.stop().catch(() => undefined);
    store.close();
    throw err;
  }
  let stopped = false;
  return {
    ctx,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const s of stops.reverse()) {
        try {
          await s.stop();
        } catch (err) {
          log.error({ err, component: s.name }, 'stopping failed');
        }
      }
      store.close();
    },
  };
}
