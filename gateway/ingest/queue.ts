// The last step of every writing pipeline (ingest, the time keeper): with sync on, each resource version it
// wrote goes into the outbox in the same transaction. Written as a step of its own so that it is visible where
// a pipeline is read; whatever a writer forgets is found at start by queued_version (outbox-writer.ts).
import type { ResourceRow } from '../store/resources.ts';
import type { Store } from '../store/store.ts';

export function queueForSync(store: Store, written: ResourceRow[]): void {
  const outbox = store.outbox;
  if (!outbox) return;
  for (const row of written) outbox.resource(row);
}
