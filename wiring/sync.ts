// The hub's upward sync as a gateway part: the publisher, and at start the changes the outbox never got.
// Changes are queued by the store's outbox sink, which every writer with sync on has (openGatewayStore), in
// the transaction of the change; this part only wakes the publisher for the ones made in this process (it
// polls for those of other processes, such as `hddt-gateway import`).
import type { Component } from './component.ts';
import { queueUnqueued, type OutboxWriter } from '../gateway/sync/outbox-writer.ts';
import { Consumer } from '../gateway/sync/consumer.ts';
import { consumerOptionsFromConfig, publisherOptionsFromConfig } from '../gateway/sync/from-config.ts';
import { Publisher } from '../gateway/sync/publisher.ts';

export function createSyncComponent(onRunning?: (publisher: Publisher | null) => void): Component {
  return {
    name: 'mqtt-sync',
    async start(ctx) {
      const log = ctx.log.child({ component: 'sync' });
      const publisher = new Publisher(ctx.store, publisherOptionsFromConfig(ctx.config, log));
      const writer = ctx.store.outbox as OutboxWriter | undefined;
      if (!writer) throw new Error('mqtt sync needs a store opened with sync on (openGatewayStore)');
      const detach = writer.onQueued(() => publisher.wake());
      const n = queueUnqueued(ctx.store);
      if (n > 0) log.info({ entries: n }, 'queued changes stored without an outbox entry');
      publisher.start();
      onRunning?.(publisher);
      return async () => {
        onRunning?.(null);
        detach();
        await publisher.stop();
      };
    },
  };
}

/**
 * The recorder's consumer as a part: it fills ctx.store, which the FHIR server (if started too) serves, or
 * with `store.kind: "postgres"` the recorder's PostgreSQL (docs/recorder.md).
 */
export function createConsumerComponent(): Component {
  return {
    name: 'mqtt-consumer',
    async start(ctx) {
      const { config } = ctx;
      const pg =
        config.store.kind === 'postgres'
          ? await (
              await import('../gateway/store/postgres/pg-store.ts')
            ).openPgStore({
              url: config.store.url!,
              log: ctx.log,
              applicationName: 'hddt-gateway consume',
            })
          : undefined;
      const consumer = new Consumer(pg?.inbox ?? ctx.store, consumerOptionsFromConfig(config, ctx.log));
      consumer.start();
      return async () => {
        await consumer.stop();
        await pg?.close();
      };
    },
  };
}
