// LifeScan OneTouch Ultra Easy / UltraMini over the binary link protocol, 9600 8N1 (spec D.2).
// Each request is a frame with the gateway's sequence bit S; the meter ACKs it, then answers with a frame
// carrying its own sequence bit, which the gateway ACKs. A corrupt, cut or missing answer is a link-level
// failure: the gateway resends the same frame (same S) and the meter repeats its answer. An answer of
// `05 15` (the meter's NAK) is a valid frame: it is acknowledged and the request is sent again as a new message.
import { CodecError } from '../codecs/codec-error.ts';
import { decodeOneTouchFrame, encodeOneTouchFrame, oneTouchFrameLength } from '../codecs/onetouch-frame.ts';
import type { UltraEasyRequest } from '../codecs/onetouch-ultraeasy-messages.ts';
import {
  decodeUltraEasyClock,
  decodeUltraEasyRecord,
  decodeUltraEasyRecordCount,
  decodeUltraEasySerial,
  decodeUltraEasyUnit,
  decodeUltraEasyVersion,
  encodeUltraEasyRequest,
} from '../codecs/onetouch-ultraeasy-messages.ts';
import { isLineFailure, LinkSession } from './link-session.ts';
import type { FetchProgress, MeterConfig, MeterRecord, MeterSession } from './meter-session.ts';
import type { SerialLink } from './serial-link.ts';

export const ULTRAEASY_BAUD_RATE = 9600;
const STX = 0x02;

/** Skips to STX, then cuts by the length byte; a bad length byte drops the STX and looks further. */
export function cutBinaryFrame(buf: Buffer): number {
  const stx = buf.indexOf(STX);
  if (stx < 0) return -buf.length;
  if (stx > 0) return -stx;
  try {
    return oneTouchFrameLength(buf);
  } catch {
    return -1;
  }
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

class MeterNak extends Error {}

/** A meter NAK (05 15) is worth another attempt too: the request is sent again as a new message. */
const retriable = (err: unknown): boolean => isLineFailure(err) || err instanceof MeterNak;

export class OneTouchUltraEasySession extends LinkSession<SerialLink> implements MeterSession {
  readonly protocol = 'onetouch-ultraeasy' as const;
  private sequence = false;
  private expectReceive = false;

  private frame(message: Uint8Array, bits: { ack?: boolean; disconnect?: boolean } = {}): Uint8Array {
    return encodeOneTouchFrame({
      link: {
        sequence: this.sequence,
        expectReceive: this.expectReceive,
        ack: bits.ack ?? false,
        disconnect: bits.disconnect ?? false,
        more: false,
      },
      message,
    });
  }

  private async readFrame(
    what: string,
  ): Promise<{ bytes: Buffer; frame: ReturnType<typeof decodeOneTouchFrame> }> {
    const bytes = await this.link.read(cutBinaryFrame, this.opts.timeouts.replyMs, what);
    return { bytes, frame: decodeOneTouchFrame(bytes) };
  }

  /** One request/response exchange with link-level retries; returns the response message and its frame hex. */
  private exchange(req: UltraEasyRequest): Promise<{ message: Uint8Array; raw: string }> {
    const message = encodeUltraEasyRequest(req);
    return this.attempts(
      async (attempt) => {
        if (attempt > 0) await this.link.flush(this.opts.timeouts.quietMs);
        await this.link.write(this.frame(message));
        const ack = await this.readFrame(`ACK of ${req.kind} request`);
        if (!ack.frame.link.ack) throw new CodecError('ERR_MALFORMED', 'expected an ACK frame');
        return this.answer(req);
      },
      (last) => `${req.kind}: no valid answer after ${this.opts.retries + 1} attempts (${last})`,
      { retriable },
    );
  }

  /** After the ACK: the meter's answer frame, acknowledged; repeats of an answer already taken are ACKed again. */
  private async answer(req: UltraEasyRequest): Promise<{ message: Uint8Array; raw: string }> {
    for (;;) {
      const { bytes, frame } = await this.readFrame(`answer to ${req.kind} request`);
      if (frame.link.ack) continue; // a repeated ACK
      if (frame.link.sequence !== this.expectReceive) {
        // The meter repeated an answer we already took: acknowledge it again and keep waiting.
        await this.link.write(this.frame(new Uint8Array(0), { ack: true }));
        continue;
      }
      this.sequence = !this.sequence;
      this.expectReceive = !this.expectReceive;
      await this.link.write(this.frame(new Uint8Array(0), { ack: true }));
      if (frame.message.length === 2 && frame.message[0] === 0x05 && frame.message[1] === 0x15) {
        throw new MeterNak(`the meter refused the ${req.kind} request (05 15)`);
      }
      return { message: frame.message, raw: hex(bytes) };
    }
  }

  /** An exchange whose answer decodes; a good frame with a message we cannot read is asked for again. */
  private ask<T>(req: UltraEasyRequest, decode: (m: Uint8Array) => T): Promise<{ value: T; raw: string }> {
    return this.attempts(
      async () => {
        const { message, raw } = await this.exchange(req);
        return { value: decode(message), raw };
      },
      (last) => `${req.kind}: unreadable answer (${last})`,
      { retriable: (err) => err instanceof CodecError, code: 'ERR_PROTOCOL' },
    );
  }

  async connect(): Promise<void> {
    await this.link.flush(this.opts.timeouts.quietMs / 3);
    await this.attempts(
      async (attempt) => {
        if (attempt > 0) await this.link.flush(this.opts.timeouts.quietMs);
        this.sequence = false;
        this.expectReceive = false;
        await this.link.write(this.frame(new Uint8Array(0), { disconnect: true }));
        const { frame } = await this.readFrame('link reset ACK');
        if (!frame.link.ack && !frame.link.disconnect)
          throw new CodecError('ERR_MALFORMED', 'link reset answered without ACK');
        await this.ask({ kind: 'version' }, decodeUltraEasyVersion);
      },
      (last) => `link reset failed (${last})`,
      { retriable },
    );
  }

  async readConfig(): Promise<MeterConfig> {
    const serialNumber = (await this.ask({ kind: 'serial' }, decodeUltraEasySerial)).value;
    const clock = (await this.ask({ kind: 'read-clock' }, decodeUltraEasyClock)).value;
    const readAt = this.opts.now();
    const displayUnit = (await this.ask({ kind: 'unit' }, decodeUltraEasyUnit)).value;
    const expectedRecords = (await this.ask({ kind: 'record-count' }, decodeUltraEasyRecordCount)).value;
    return {
      manufacturer: 'LifeScan',
      model: 'OneTouch Ultra Easy',
      serialNumber,
      displayUnit,
      meterTime: clock.localTime,
      meterLocalTime: clock.localTime,
      readAt,
      expectedRecords,
    };
  }

  async fetch(onRecord: (r: MeterRecord) => void, onProgress?: FetchProgress): Promise<void> {
    const count = (await this.ask({ kind: 'record-count' }, decodeUltraEasyRecordCount)).value;
    onProgress?.(0, count);
    for (let index = 0; index < count; index++) {
      const { value: rec, raw } = await this.ask({ kind: 'record', index }, decodeUltraEasyRecord);
      onRecord({
        localTime: rec.localTime,
        deviceTime: rec.localTime,
        valueToken: String(rec.value),
        value: rec.value,
        unit: 'mg/dL', // stored values are mg/dL whatever the display unit
        controlSolution: false, // this protocol does not mark control tests (unverified)
        raw,
        receivedAt: this.opts.now(),
      });
      onProgress?.(index + 1, count);
    }
  }

  async disconnect(): Promise<void> {
    try {
      this.sequence = false;
      this.expectReceive = false;
      await this.link.write(this.frame(new Uint8Array(0), { disconnect: true }));
    } catch {
      // the cable may be gone already
    }
  }
}
