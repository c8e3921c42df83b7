// A patient's readings as CSV (GDPR Art. 15/20): a header, then one record per stored reading of their
// devices inside their assignment windows, device by device and oldest first, with the value and unit as the
// device measured them. Made in pages: each chunk is one page of rows, read synchronously, so no database
// cursor stays open while the response waits for the client.
import {
  readingsPage,
  sessionIdsOfDevice,
  windowsOfPatient,
  type ExportReadingRow,
  type PageKey,
} from '../../gateway/store/patient-export.ts';
import type { Store } from '../../gateway/store/store.ts';
import { csvLine, spreadsheetSafe } from './csv.ts';
import { localIso } from './local-time.ts';

export const CSV_HEADER = [
  'device',
  'manufacturer',
  'model',
  'serial_number',
  'device_kind',
  'time_utc',
  'time_local',
  'device_time',
  'value',
  'unit',
  'flags',
] as const;

const PAGE = 2000;

/**
 * The flags of a reading, `;`-separated: LO / HI (below / above the measuring range: the value is the range
 * limit), ERROR (no value; with the device's reason, `ERROR:sensor-malfunction`), CONTROL (a control-solution
 * or other non-glucose test: stored, never a patient Observation).
 */
export function readingFlags(r: Pick<ExportReadingRow, 'flag' | 'flag_reason' | 'control'>): string {
  const flags: string[] = [];
  if (r.flag === 'low') flags.push('LO');
  else if (r.flag === 'high') flags.push('HI');
  else if (r.flag === 'error') flags.push(r.flag_reason ? `ERROR:${r.flag_reason}` : 'ERROR');
  if (r.control === 1) flags.push('CONTROL');
  return flags.join(';');
}

export function readingRecord(r: ExportReadingRow, zone: string): string[] {
  return [
    r.device_key,
    spreadsheetSafe(r.manufacturer ?? ''),
    spreadsheetSafe(r.model ?? ''),
    spreadsheetSafe(r.serial_number ?? ''),
    r.kind,
    new Date(r.effective_ms).toISOString(),
    localIso(r.effective_ms, zone),
    spreadsheetSafe(r.device_time),
    r.value === null ? '' : String(r.value),
    r.unit,
    readingFlags(r),
  ];
}

/** The CSV text in chunks, the header first. */
export function* readingsCsv(store: Store, patientId: string, zone: string): Generator<string> {
  yield csvLine(CSV_HEADER);
  for (const w of windowsOfPatient(store, patientId)) {
    for (const sessionId of sessionIdsOfDevice(store, w.device_key)) {
      let after: PageKey | undefined;
      for (;;) {
        const rows = readingsPage(store, sessionId, w, after, PAGE);
        if (rows.length === 0) break;
        let chunk = '';
        for (const r of rows) chunk += csvLine(readingRecord(r, zone));
        yield chunk;
        const last = rows[rows.length - 1]!;
        after = { ms: last.effective_ms, id: last.id };
        if (rows.length < PAGE) break;
      }
    }
  }
}
