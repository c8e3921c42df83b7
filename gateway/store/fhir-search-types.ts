// The shape of a FHIR search as the store runs it (server/fhir parses parameters into it).
import type { ResourceRow } from './resources.ts';
export type SearchType = 'Observation' | 'Device' | 'DeviceMetric';

/** What one access token may see: a patient and, per granted MIV, its codes and the oldest data served. */
export interface SearchScope {
  patientId: string;
  groups: Array<{ codes: readonly string[]; minEffectiveEndMs: number }>;
}

/** A time range [lo, hi) in ms compared with a resource's range per an R4 prefix. */
export interface DateCond {
  prefix: 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';
  lo: number;
  hi: number;
  /** `ap` only: widening on each side. */
  tolerance?: number;
}

/**
 * value-quantity, already converted per stored unit (null = any unit): `eq`/`ne`/`ap` compare with the
 * implicit range [lo, hi), the other prefixes with the exact value `v`.
 */
export interface QuantityCond {
  prefix: DateCond['prefix'];
  ranges: Array<{ unit: string | null; v: number; lo: number; hi: number }>;
}

export interface StringCond {
  value: string;
  mode: 'starts' | 'exact' | 'contains';
}

export interface SortSpec {
  key: 'date' | 'lastUpdated' | 'id';
  desc: boolean;
}

export interface Cursor {
  /** Sort value of the row the page continues from (number for date/lastUpdated, id string for id). */
  v: number | string;
  id: string;
  dir: 'next' | 'prev';
}

/** Each inner array is OR, the outer array AND (repeated parameters), as in FHIR. */
export interface StoreSearch {
  type: SearchType;
  scope: SearchScope;
  ids?: string[][];
  codes?: string[][];
  dates?: DateCond[];
  lastUpdated?: DateCond[];
  values?: QuantityCond[];
  deviceNames?: StringCond[][];
  manufacturers?: StringCond[][];
  types?: string[][];
  sources?: string[][];
  sort: SortSpec;
  cursor?: Cursor;
  count: number;
}

export interface SearchPage {
  rows: ResourceRow[];
  /** More rows exist after the last row in sort order. */
  hasNext: boolean;
  /** More rows exist before the first row in sort order. */
  hasPrev: boolean;
}

/** A CGM chunk or BG reading never spans more than a day (hddt.chunkMinutes ≤ 1440): lets date searches use the index. */
export const MAX_OBSERVATION_SPAN_MS = 86_400_000;
