// Opening the gateway's database from the configuration, as every writer of it must: with sync on, with the
// outbox attached, so what any process writes reaches the recorder.
import { dataPath } from '../config/load.ts';
import type { GatewayConfig } from '../config/types.ts';
import { openStore, type Store } from './store/store.ts';
import { attachOutbox } from './sync/outbox-writer.ts';

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
