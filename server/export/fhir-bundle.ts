// A patient's FHIR export (GDPR Art. 20): a collection Bundle of every Device, DeviceMetric and Observation
// their devices recorded inside their assignment windows, exactly the stored resources the FHIR API serves
// (their JSON text is spliced in as stored, never rendered again). Written in chunks, page by page.
import { MIV_CODES } from '../../gateway/hddt/codes.ts';
import {
  devicesOfScope,
  observationsPage,
  ownScope,
  windowsOfPatient,
  type PageKey,
} from '../../gateway/store/patient-export.ts';
import type { ResourceRow } from '../../gateway/store/resources.ts';
import type { Store } from '../../gateway/store/store.ts';

const PAGE = 500;

export const ALL_GLUCOSE_CODES: readonly string[] = [...MIV_CODES.bloodGlucose, ...MIV_CODES.cgm];

function entry(baseUrl: string, row: ResourceRow): string {
  return `{"fullUrl":${JSON.stringify(`${baseUrl}/${row.type}/${row.id}`)},"resource":${row.json}}`;
}

export interface BundleOptions {
  /** The FHIR API's absolute base URL (fullUrl of each entry). */
  baseUrl: string;
  nowMs: number;
}

/** The Bundle's JSON text in chunks: Devices, DeviceMetrics, then the Observations of each window. */
export function* patientBundle(store: Store, patientId: string, opts: BundleOptions): Generator<string> {
  const scope = ownScope(patientId, ALL_GLUCOSE_CODES);
  let first = true;
  const join = (rows: ResourceRow[]) => {
    const text = rows.map((r) => entry(opts.baseUrl, r)).join(',');
    if (text === '') return '';
    // FHIR JSON has no empty arrays: `entry` opens with the first entry.
    const out = first ? `,"entry":[${text}` : `,${text}`;
    first = false;
    return out;
  };
  yield `{"resourceType":"Bundle","type":"collection","timestamp":${JSON.stringify(new Date(opts.nowMs).toISOString())}`;
  yield join(devicesOfScope(store, scope, 'Device'));
  yield join(devicesOfScope(store, scope, 'DeviceMetric'));
  for (const w of windowsOfPatient(store, patientId)) {
    let after: PageKey | undefined;
    for (;;) {
      const rows = observationsPage(store, scope, w, after, PAGE);
      if (rows.length === 0) break;
      yield join(rows);
      const last = rows[rows.length - 1]!;
      after = { ms: last.effective_start_ms ?? 0, id: last.id };
      if (rows.length < PAGE) break;
    }
  }
  yield first ? '}' : ']}';
}
