// The operator server as a gateway Component (gateway/components.ts, when operator.enabled). It binds the
// metrics to this gateway, taps the logger for the recent-errors list and listens on operator.host:port.
// A taken port is logged, not fatal: the status page must never keep readings from being collected.
import type { Component } from './component.ts';
import { buildOperatorServer, checkOperatorConfig } from '../server/operator/app.ts';
import { tapLogger } from '../server/operator/log-tap.ts';
import { gatewayMetrics, type GatewayMetrics } from '../server/operator/metrics.ts';
import { operatorProbes, type OperatorProbes } from '../server/operator/probes.ts';

export function createOperatorComponent(
  probes: OperatorProbes = operatorProbes,
  metrics: GatewayMetrics = gatewayMetrics,
  onListening?: (url: string) => void,
): Component {
  return {
    name: 'operator',
    async start(ctx) {
      checkOperatorConfig(ctx.config);
      const untap = tapLogger(ctx.log, probes.events);
      metrics.bind({ config: ctx.config, store: ctx.store, probes });
      const log = ctx.log.child({ component: 'operator' });
      const app = await buildOperatorServer({ config: ctx.config, store: ctx.store, probes, metrics, log });
      const { host, port, tls } = ctx.config.operator;
      try {
        const address = await app.listen({ host, port });
        const url = address.replace(/^http:\/\/|^https:\/\//, tls ? 'https://' : 'http://');
        log.info({ url }, 'operator server listening');
        onListening?.(url);
        probes.started.add('operator');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EADDRINUSE' && code !== 'EADDRNOTAVAIL') {
          untap();
          metrics.bind(null);
          throw err;
        }
        log.error(
          { reason: (err as Error).message },
          `operator server not started: cannot listen on ${host}:${port}; set operator.port or operator.enabled`,
        );
        await app.close();
        return async () => {
          untap();
          metrics.bind(null);
        };
      }
      return async () => {
        probes.started.delete('operator');
        await app.close();
        untap();
        metrics.bind(null);
      };
    },
  };
}

export const operatorComponent: Component = createOperatorComponent();
