// The record layer of a Contour meter's ASTM transfer, the same over a serial cable (astm-session.ts) and over
// HID reports (drivers/usb/contour-usb-session.ts): the header gives identity, clock and delimiters; R records
// are results; the L record ends the transfer. The transport hands in its records one at a time: a
// ContourTransferSession is a session whose transport only has to say how records arrive (receive()).
import { CodecError } from '../codecs/codec-error.ts';
import type { ContourHeader, ContourResult } from '../codecs/astm-contour.ts';
import { decodeContourHeader, decodeContourTerminator } from '../codecs/astm-contour.ts';
import type { SequencedRecord } from '../codecs/astm-frame-sequencer.ts';
import type { AstmDelimiters } from '../codecs/astm-record.ts';
import { ASTM_DEFAULT_DELIMITERS, decodeAstmDelimiters, decodeAstmRecord } from '../codecs/astm-record.ts';
import { MeterError } from './meter-error.ts';
import { LinkSession } from './link-session.ts';
import { resultRecord, unusableRecord } from './meter-readings.ts';
import type { FetchProgress, MeterConfig, MeterRecord, SessionOptions } from './meter-session.ts';

/** Product codes from the header (Tidepool's bayerConstants MODELS). */
export const CONTOUR_MODELS: Record<string, string> = {
  '7150': 'Contour',
  '7220': 'Contour',
  '7160': 'Contour Next EZ',
  '7350': 'Contour Next',
  '7900': 'Contour Next',
  '7390': 'Contour USB',
  '7410': 'Contour Next USB',
  '7600': 'Contour Plus',
  '7800': 'Contour Next One',
  '6200': 'Contour Next Link',
  '6210': 'Contour Next Link',
  '6300': 'Contour Next Link',
};

/** The next complete, verified record (text, and the hex of the frames it came in); null at the end. */
export type RecordSource = () => Promise<SequencedRecord | null>;
/** R record → result: the serial Contours' layout or the Contour Next family's (marker field). */
export type ResultDecoder = (text: string, d: AstmDelimiters) => ContourResult;

export class ContourRecordReader {
  private delimiters: AstmDelimiters = ASTM_DEFAULT_DELIMITERS;
  private header: ContourHeader | null = null;
  private readonly next: RecordSource;
  private readonly now: () => Date;
  private readonly decodeResult: ResultDecoder;

  constructor(next: RecordSource, now: () => Date, decodeResult: ResultDecoder) {
    this.next = next;
    this.now = now;
    this.decodeResult = decodeResult;
  }

  async readConfig(): Promise<MeterConfig> {
    for (;;) {
      const rec = await this.next();
      if (!rec)
        throw new MeterError('ERR_INCOMPLETE', 'the meter ended the transfer before its header record');
      if (!rec.text.startsWith('H')) continue;
      const readAt = this.now();
      try {
        this.delimiters = decodeAstmDelimiters(rec.text);
        this.header = decodeContourHeader(rec.text);
      } catch (err) {
        if (err instanceof CodecError)
          throw new MeterError('ERR_PROTOCOL', `unreadable header: ${err.message}`);
        throw err;
      }
      const h = this.header;
      const code = /(\d{4})$/.exec(h.product)?.[1] ?? '';
      return {
        manufacturer: 'Ascensia (Bayer)',
        model: CONTOUR_MODELS[code] ?? `Contour (${h.product})`,
        serialNumber: h.serial,
        displayUnit: h.unit,
        meterTime: h.meterTime,
        meterLocalTime: h.localTime,
        readAt,
        expectedRecords: h.recordCount,
      };
    }
  }

  /** Results until the L record; an early end (L code other than N, or no L before EOT) is ERR_INCOMPLETE. */
  async fetch(onRecord: (r: MeterRecord) => void, onProgress?: FetchProgress): Promise<void> {
    const total = this.header?.recordCount;
    let done = 0;
    let terminated = false;
    onProgress?.(0, total);
    for (;;) {
      const rec = await this.next();
      if (!rec) break;
      let type: string;
      try {
        type = decodeAstmRecord(rec.text, this.delimiters).type;
      } catch {
        continue; // a record type we do not know carries nothing we need
      }
      if (type === 'L') {
        terminated = true;
        const { code } = decodeContourTerminator(rec.text, this.delimiters);
        if (code !== 'N')
          throw new MeterError('ERR_INCOMPLETE', `the meter ended the transfer early (L code ${code})`);
        continue;
      }
      if (type !== 'R') continue; // P, O, C: nothing a reading needs
      onProgress?.(++done, total);
      onRecord(this.toMeterRecord(rec.text, rec.raw));
    }
    if (!terminated)
      throw new MeterError('ERR_INCOMPLETE', 'the meter sent EOT before the terminator record');
  }

  private toMeterRecord(text: string, raw: string): MeterRecord {
    const receivedAt = this.now();
    try {
      const r = this.decodeResult(text, this.delimiters);
      const out = resultRecord({ ...r, deviceTime: r.meterTime }, raw, receivedAt);
      if (r.analyte !== 'Glucose') out.unusable = `result for ${r.analyte}, not glucose`;
      return out;
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      // Frames verified but the record does not read as a result: keep it out of the store.
      return unusableRecord(raw, receivedAt, `unreadable result record: ${err.message}`);
    }
  }
}

/** A Contour session over link L: the transport's receive loop fills the queue, the record layer reads it. */
export abstract class ContourTransferSession<L> extends LinkSession<L> {
  /** Complete, verified records not yet read. */
  protected queue: SequencedRecord[] = [];
  /** The meter sent EOT: nothing more comes. */
  protected ended = false;
  private readonly records: ContourRecordReader;

  constructor(link: L, opts: SessionOptions, decodeResult: ResultDecoder) {
    super(link, opts);
    this.records = new ContourRecordReader(
      () => this.nextRecord(),
      () => this.opts.now(),
      decodeResult,
    );
  }

  /** Receives until at least one record is queued (true) or the meter sent EOT (false). */
  protected abstract receive(): Promise<boolean>;

  private async nextRecord(): Promise<SequencedRecord | null> {
    while (this.queue.length === 0) {
      if (this.ended || !(await this.receive())) return null;
    }
    return this.queue.shift() ?? null;
  }

  readConfig(): Promise<MeterConfig> {
    return this.records.readConfig();
  }

  fetch(onRecord: (r: MeterRecord) => void, onProgress?: FetchProgress): Promise<void> {
    return this.records.fetch(onRecord, onProgress);
  }
}
