// OneTouch Verio 2015 / Select Plus over the SCSI register interface (glucometer-protocols
// lifescan/onetouch-verio-2015.md; glucometerutils drivers/otverio2015.py). The meter is a mass-storage disk:
// writing to anything else would damage a real disk, so connect refuses a device whose INQUIRY vendor is not
// `LifeScan` before anything is written. Each exchange is WRITE(10) of the request block to its register,
// then READ(10) of the answer from the same register; a corrupt answer repeats the pair (bounded).
// The record layout has no known control-solution flag (the protocol notes say one byte likely is): Verio
// records are handed over as blood tests; docs/usb-meters.md says so.
import { CodecError } from '../codecs/codec-error.ts';
import { inquiryCdb, inquiryVendor, read10Cdb, write10Cdb, SCSI_INQUIRY_LENGTH } from '../codecs/scsi-cdb.ts';
import {
  VERIO_REGISTER_SIZE,
  decodeVerioBlock,
  decodeVerioQuery,
  decodeVerioRecord,
  decodeVerioRecordCount,
  decodeVerioRtc,
  decodeVerioUnit,
  encodeVerioBlock,
  encodeVerioRequest,
  verioRequestLba,
  type VerioRequest,
} from '../codecs/verio-messages.ts';
import { LinkSession } from '../serial/link-session.ts';
import { MeterError } from '../serial/meter-error.ts';
import type { FetchProgress, MeterConfig, MeterRecord } from '../serial/meter-session.ts';
import type { ScsiLink } from './usb-link.ts';
import type { UsbMeterSession } from './usb-session.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export class VerioSession extends LinkSession<ScsiLink> implements UsbMeterSession {
  readonly protocol = 'verio-scsi' as const;
  private count = 0;

  async connect(): Promise<void> {
    const data = await this.link.execute({
      cdb: inquiryCdb(SCSI_INQUIRY_LENGTH),
      dataInLength: SCSI_INQUIRY_LENGTH,
      timeoutMs: this.opts.timeouts.replyMs,
    });
    let vendor: string;
    try {
      vendor = inquiryVendor(data);
    } catch (err) {
      if (err instanceof CodecError) throw new MeterError('ERR_PROTOCOL', `INQUIRY: ${err.message}`);
      throw err;
    }
    if (vendor !== 'LifeScan') {
      throw new MeterError(
        'ERR_PROTOCOL',
        `SCSI vendor is ${JSON.stringify(vendor)}, not LifeScan: nothing is written to it`,
      );
    }
  }

  /** One request/answer pair; resolves to the decoded answer and the hex of its packet. */
  private ask<T>(req: VerioRequest, decode: (m: Uint8Array) => T): Promise<{ value: T; raw: string }> {
    const lba = verioRequestLba(req);
    const block = encodeVerioBlock(encodeVerioRequest(req));
    // Only a corrupt answer repeats the pair: a SCSI command that fails or times out ends the exchange.
    return this.attempts(
      async () => {
        await this.link.execute({
          cdb: write10Cdb(lba),
          dataOut: block,
          timeoutMs: this.opts.timeouts.replyMs,
        });
        const answer = await this.link.execute({
          cdb: read10Cdb(lba),
          dataInLength: VERIO_REGISTER_SIZE,
          timeoutMs: this.opts.timeouts.replyMs,
        });
        const message = decodeVerioBlock(answer);
        return { value: decode(message), raw: hex(answer.subarray(0, answer[1])) };
      },
      (last) => `${req.kind}: ${last}`,
      { retriable: (err) => err instanceof CodecError },
    );
  }

  async readConfig(): Promise<MeterConfig> {
    const serial = (await this.ask({ kind: 'query', selector: 'serial' }, decodeVerioQuery)).value;
    const model = (await this.ask({ kind: 'query', selector: 'model' }, decodeVerioQuery)).value;
    const unit = (await this.ask({ kind: 'read-unit' }, decodeVerioUnit)).value;
    this.count = (await this.ask({ kind: 'record-count' }, decodeVerioRecordCount)).value;
    const clock = (await this.ask({ kind: 'read-rtc' }, decodeVerioRtc)).value;
    const readAt = this.opts.now();
    if (serial.trim() === '') throw new MeterError('ERR_PROTOCOL', 'the meter reports no serial number');
    return {
      manufacturer: 'LifeScan',
      model: `OneTouch ${model.trim() || 'Verio'}`,
      serialNumber: serial.trim(),
      displayUnit: unit,
      meterTime: String(clock.timestamp),
      meterLocalTime: clock.localTime,
      readAt,
      expectedRecords: this.count,
    };
  }

  async fetch(onRecord: (r: MeterRecord) => void, onProgress?: FetchProgress): Promise<void> {
    onProgress?.(0, this.count);
    // Record 0 is the newest; reading oldest first keeps the dump order stable while the ring moves.
    for (let done = 0; done < this.count; done++) {
      const index = this.count - 1 - done;
      const { value: r, raw } = await this.ask({ kind: 'record', index }, decodeVerioRecord);
      onRecord({
        localTime: r.localTime,
        deviceTime: r.localTime,
        valueToken: String(r.value),
        value: r.value,
        unit: 'mg/dL',
        controlSolution: false,
        raw,
        receivedAt: this.opts.now(),
        recordNumber: r.lifetimeCounter,
      });
      onProgress?.(done + 1, this.count);
    }
  }

  async disconnect(): Promise<void> {
    // Nothing to undo: the registers hold no session state.
  }
}
