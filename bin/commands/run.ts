// `hddt-gateway run`: starts the gateway with whatever the configuration enables.
import type { Command } from 'commander';
import { startGateway } from '../../wiring/gateway.ts';
import { createLogger } from '../../gateway/log.ts';
import { components } from '../../wiring/components.ts';
import { action, configFrom, untilStopSignal, withConfigOption } from './common.ts';

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
        // the signal handlers exist before the line a supervisor may react to with SIGTERM at once
        const stopped = untilStopSignal(log);
        log.info({ gatewayId: config.gatewayId, dataDir: config.dataDir }, 'gateway running');
        await stopped;
        await gw.stop();
      }),
    );
}
