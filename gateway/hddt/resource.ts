// What a rendered resource is before the store has it: the search columns the store keeps beside the JSON, and
// the render of the resource for a given meta (the store decides versionId and lastUpdated).

export interface ResourceMeta {
  versionId: string;
  lastUpdated: string;
}

export interface ResourceIndex {
  type: 'Observation' | 'Device' | 'DeviceMetric';
  id: string;
  deviceKey: string;
  code?: string | null;
  effectiveStartMs?: number | null;
  effectiveEndMs?: number | null;
  value?: number | null;
  unit?: string | null;
  ref?: string | null;
  status?: string | null;
}

/** A resource as the mapping makes it: its index, and its JSON for any meta. */
export interface ResourceDraft {
  index: ResourceIndex;
  render(meta: ResourceMeta): object;
}
