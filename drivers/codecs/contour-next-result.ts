// Result records of the USB Contour meters (Contour USB, Contour Next USB/Link): the short E1394 layout
//   R|seq|^^^Glucose|value|unit^method||markers||YYYYMMDDHHMM[SS]
// with `/`-separated markers (glucometerutils support/contourusb.py `_RESULT_RECORD_RE`; Tidepool
// bayerContourNext.js `parseDataRecord`, whose sample is `R|3|^^^Glucose|93|mg/dL^P||A/M0/T1||201505261150`).
// A control-solution test carries the marker `C` here (Tidepool `isControl`), not the `E` of the serial
// meters' long layout, so this wraps the shared Contour decoder and adds that rule.
import type { AstmDelimiters } from './astm-record.ts';
import { ASTM_DEFAULT_DELIMITERS, decodeAstmRecord } from './astm-record.ts';
import { decodeContourResult, type ContourResult } from './astm-contour.ts';
import { CodecError } from './codec-error.ts';

export interface ContourNextResult extends ContourResult {
  /** The marker field exactly as sent (`A/M0/T1`). */
  markerText: string;
}

export function decodeContourNextResult(
  text: string,
  d: AstmDelimiters = ASTM_DEFAULT_DELIMITERS,
): ContourNextResult {
  const rec = decodeAstmRecord(text, d);
  const r = decodeContourResult(rec, d);
  if (rec.fields.length !== 9) return { ...r, markerText: rec.fields[7] ?? '' };
  const markerText = rec.fields[6];
  const markers = markerText === '' ? [] : markerText.split('/');
  if (markers.some((m) => !/^[<>A-Z0-9]{1,3}$/.test(m))) {
    throw new CodecError('ERR_MALFORMED', `Contour marker field ${JSON.stringify(markerText.slice(0, 30))}`);
  }
  return { ...r, control: r.control || markers.includes('C'), markerText };
}
