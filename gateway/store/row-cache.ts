// Recently served resource rows by type and id, checked against the version the search index reported: a page
// of a search then costs index reads plus splicing of kept bytes. Bounded; the oldest entry goes first (a hit
// does not reorder: a page of a walk is read again after the whole walk, so recency would not help). One per
// store (Store.rowCache), so two stores in a process never share rows.
import { getResource, type ResourceRow } from './resources.ts';
import type { Store } from './store.ts';

export class RowCache {
  private readonly byType = new Map<string, Map<string, ResourceRow>>();
  private readonly size: number;

  constructor(size = 4096) {
    this.size = size;
  }

  /** The row of `type`/`id`; kept when `version` (from the index) is known, served from here when it matches. */
  row(store: Store, type: string, id: string, version?: number): ResourceRow | undefined {
    let cache = this.byType.get(type);
    if (!cache) this.byType.set(type, (cache = new Map()));
    const hit = cache.get(id);
    if (hit && version !== undefined && hit.version === version) return hit;
    const row = getResource(store, type, id);
    if (row && version !== undefined) {
      cache.delete(id);
      cache.set(id, row);
      if (cache.size > this.size) cache.delete(cache.keys().next().value as string);
    }
    return row;
  }
}
