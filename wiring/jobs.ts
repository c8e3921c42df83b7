// The core's periodic jobs as parts: the time keeper (chunks turning final, Device status) and retention.
import { mappingFromConfig } from '../gateway/hddt/mapping.ts';
import { refreshTimeDependent } from '../gateway/ingest/refresh.ts';
import { purgeExpired } from '../gateway/jobs/retention.ts';
import type { Component } from './component.ts';

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
