// `hddt-gateway run`: starts the gateway with whatever the configuration enables.
import type { Command } from 'commander';
import { startGateway } from '../../gateway/app.ts';
import { createLogger } from '../../gateway/log.ts';
import { components } from '../../gateway/components.ts';
import { action, configFrom, withConfigOption } from './common.ts';

export function register(program: Command): void {
  withConfigOption(program.command('run'))
    .description(
      'start the gateway: drivers, HDDT server and MQTT sync as configured; stops on SIGINT/SIGTERM',
    )
    .action(
      action(async (opts: { config?: string }) => {
        const config = configFrom(opts);
        const log = createLogger(config.log.level);
        const gw = await startGateway(config, log, components(config));
        log.info({ gatewayId: config.gatewayId, dataDir: config.dataDir }, 'gateway running');
        // Holds the event loop open while the parts (some with unref'd timers) run.
        const keepAlive = setInterval(() => undefined, 1 << 30);
        await new Promise<void>((resolve) => {
          const stop = (signal: string) => {
            log.info({ signal }, 'stopping');
            clearInterval(keepAlive);
            resolve();
          };
          process.once('SIGINT', () => stop('SIGINT'));
          process.once('SIGTERM', () => stop('SIGTERM'));
        });
        await gw.stop();
      }),
    );
}
