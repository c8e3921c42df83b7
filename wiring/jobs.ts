// The core's periodic jobs as parts: the time keeper (chunks turning final, Device status) and retention.
import { mappingFromConfig } from '../gateway/hddt/mapping.ts';
import { refreshTimeDependent } from '../gateway/ingest/refresh.ts';
import { purgeExpired } from '../gateway/jobs/retention.ts';
import { configuredHubClock, type HubClock } from '../lib/hub-clock.ts';
import { operatorProbes, type OperatorProbes } from '../server/operator/probes.ts';
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

export interface RetentionJobOptions {
  /** Default: as ble.hubClock says (the system's time daemons, or trusted). */
  hubClock?: HubClock;
  /** Where the status page learns the hub clock's state. */
  probes?: OperatorProbes;
}

/**
 * Deletes data past its historic data period, hourly and once at start; never while the hub clock is not
 * synchronized (a clock ahead would delete readings still inside their period), which is logged and shown.
 */
export function createRetentionJob(opts: RetentionJobOptions = {}): Component {
  return {
    name: 'retention',
    async start(ctx) {
      const hubClock = opts.hubClock ?? configuredHubClock(ctx.config.ble.hubClock);
      const probes = opts.probes ?? operatorProbes;
      const purge = async () => {
        const clock = await hubClock.state();
        probes.hubClock = clock;
        if (!clock.synchronized) {
          const why = `${clock.source}${clock.detail ? `: ${clock.detail}` : ''}`;
          ctx.log.warn(
            { reason: 'hub-clock-unsynchronized', source: clock.source },
            `not purging by age: the hub clock is not synchronized (${why}); set ble.hubClock to "trusted" to override`,
          );
          return;
        }
        const counts = await purgeExpired(
          ctx.store,
          {
            historicDataPeriodDays: ctx.config.hddt.historicDataPeriodDays,
            chunkMinutes: ctx.config.hddt.chunkMinutes,
          },
          Date.now(),
        );
        if (counts.readings || counts.observations) ctx.log.info({ purged: counts }, 'purged expired data');
      };
      let running: Promise<void> | undefined;
      const run = () => {
        running ??= purge()
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
}

export const retentionJob: Component = createRetentionJob();
