// The process wiring, in one place: configuration → store → drivers, servers and sync as configured.
// Each part is a Component that starts and stops; nothing downstream calls back upstream.
import { dataPath } from '../config/load.ts';
import type { GatewayConfig } from '../config/types.ts';
import { ingestOptionsFromConfig, mappingFromConfig } from './hddt/mapping.ts';
import { refreshTimeDependent } from './ingest/refresh.ts';
import { storePort, type ReadingPort } from './ingest/port.ts';
import { purgeExpired } from './jobs/retention.ts';
import type { Logger } from './log.ts';
import { openStore, type Store } from './store/store.ts';
import { attachOutbox } from './sync/outbox-writer.ts';

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

/** Keeps time-driven resource state current: chunk finalisation, Device.status unknown/inactive. */
export const timeKeeper: Component = {
  name: 'time-keeper',
  async start(ctx) {
    const mapping = mappingFromConfig(ctx.config);
    const tick = () => {
      try {
        refreshTimeDependent(ctx.store, Date.now(), mapping);
      } catch (err) {
        ctx.log.error({ err }, 'refreshing time-dependent resources failed');
      }
    };
    tick();
    const timer = setInterval(tick, 30_000);
    timer.unref();
    return async () => clearInterval(timer);
  },
};

/** Deletes data past its historic data period, hourly and once at start. */
export const retentionJob: Component = {
  name: 'retention',
  async start(ctx) {
    let running: Promise<void> | undefined;
    const run = () => {
      if (running) return;
      running = purgeExpired(
        ctx.store,
        {
          historicDataPeriodDays: ctx.config.hddt.historicDataPeriodDays,
          chunkMinutes: ctx.config.hddt.chunkMinutes,
        },
        Date.now(),
      )
        .then((counts) => {
          if (counts.readings || counts.observations) ctx.log.info({ purged: counts }, 'purged expired data');
        })
        .catch((err: unknown) => ctx.log.error({ err }, 'purging expired data failed'))
        .finally(() => (running = undefined));
    };
    run();
    const timer = setInterval(run, 3_600_000);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await running;
    };
  },
};

/**
 * The store as every writer of the gateway's database opens it: with sync on, with the outbox sink, so
 * what the CLI writes (import, dump, device assign, patient remove) reaches the recorder like the
 * gateway's own changes.
 */
export function openGatewayStore(config: GatewayConfig, file = dataPath(config, config.store.file)): Store {
  const store = openStore({ path: file });
  if (config.mqtt.enabled) attachOutbox(store);
  return store;
}

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
