// The hub's upward sync as a gateway part: the outbox listener (so every change from now on is queued in its
// own transaction) and the publisher. Start it before parts that write (it is first in the list), so no change
// made at start-up misses the outbox.
import type { Component } from '../app.ts';
import { enqueueSnapshot, lastSeq } from '../store/outbox.ts';
import { attachOutbox, patientHandle } from './outbox-writer.ts';
import { Consumer } from './consumer.ts';
import { consumerOptionsFromConfig, publisherOptionsFromConfig } from './from-config.ts';
import { Publisher } from './publisher.ts';

export function createSyncComponent(onRunning?: (publisher: Publisher | null) => void): Component {
  return {
    name: 'mqtt-sync',
    async start(ctx) {
      const log = ctx.log.child({ component: 'sync' });
      const publisher = new Publisher(ctx.store, publisherOptionsFromConfig(ctx.config, log));
      const detach = attachOutbox(ctx.store, {
        format: ctx.config.mqtt.format,
        onEnqueue: () => publisher.wake(),
      });
      if (lastSeq(ctx.store) === 0) {
        const n = enqueueSnapshot(ctx.store, Date.now(), (id) => patientHandle(ctx.store, id));
        if (n > 0) log.info({ entries: n }, 'first sync: queued everything stored so far');
      }
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

/** The recorder's consumer as a part: it fills ctx.store, which the FHIR server (if started too) serves. */
export function createConsumerComponent(): Component {
  return {
    name: 'mqtt-consumer',
    async start(ctx) {
      const consumer = new Consumer(ctx.store, consumerOptionsFromConfig(ctx.config, ctx.log));
      consumer.start();
      return () => consumer.stop();
    },
  };
}
