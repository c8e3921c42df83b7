// `hddt-gateway consume`: the recorder side of MQTT sync. Subscribes (persistent session, shared subscription)
// to hub batches and writes them into its own store; with --serve the HDDT server runs over that store.
import fs from 'node:fs';
import type { Command } from 'commander';
import { dataPath } from '../../config/load.ts';
import { startGateway } from '../../wiring/gateway.ts';
import { retentionJob } from '../../wiring/jobs.ts';
import type { Component } from '../../wiring/component.ts';
import { createLogger } from '../../gateway/log.ts';
import { createConsumerComponent } from '../../wiring/sync.ts';
import { UsageError, action, configFrom, withConfigOption, untilStopSignal } from './common.ts';

interface ConsumeOptions {
  config?: string;
  store?: string;
  serve?: boolean;
}

export function register(program: Command): void {
  withConfigOption(program.command('consume'))
    .description('recorder: consume hub batches from MQTT into a store (stops on SIGINT/SIGTERM)')
    .option('--store <file>', 'SQLite file to fill (default: mqtt.consumer.storeFile in dataDir)')
    .option('--serve', 'also run the HDDT server (server section of the configuration) over that store')
    .action(
      action(async (opts: ConsumeOptions) => {
        const base = configFrom(opts);
        const storeFile = opts.store ?? dataPath(base, base.mqtt.consumer.storeFile);
        const config = configFrom(opts, { store: { file: storeFile } });
        for (const f of [
          config.mqtt.tls.caFile,
          config.mqtt.tls.certFile,
          config.mqtt.tls.keyFile,
          config.mqtt.passwordFile,
        ]) {
          if (f && !fs.existsSync(dataPath(config, f)))
            throw new UsageError(`cannot read ${dataPath(config, f)}`);
        }
        if (opts.serve && config.store.kind === 'postgres') {
          throw new UsageError('--serve runs over SQLite only: the HDDT API on PostgreSQL is not built yet');
        }
        const log = createLogger(config.log.level);
        const parts: Component[] = [createConsumerComponent()];
        // Serving HDDT, the recorder keeps to the historic data periods like a hub: it purges what is past them
        // (a hub's purge does not travel upward; each store applies the rule itself).
        if (opts.serve) parts.push(retentionJob, (await import('../../wiring/server.ts')).serverComponent);
        const gw = await startGateway(config, log, parts);
        // the signal handlers exist before the line a supervisor may react to with SIGTERM at once
        const stopped = untilStopSignal(log);
        log.info(
          {
            store: config.store.kind === 'postgres' ? 'postgres' : storeFile,
            group: config.mqtt.consumer.group,
          },
          'consumer running',
        );
        await stopped;
        await gw.stop();
      }),
    );
}
