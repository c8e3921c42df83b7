// Contour USB / Contour Next USB / Contour Next Link over HID (spec D.3; glucometerutils support/contourusb.py,
// Tidepool bayerContourNext.js). Every host message is one control byte in a 64-byte report; the meter's
// messages are ASTM frames and control bytes, possibly several in one message.
//   host EOT → meter [EOT, header frame, ENQ] (glucometerutils' observed establishment) → host ACK →
//   frames H, P, R…, L, each ACKed (NAKed when bad: the meter repeats it) → meter EOT.
import { CodecError } from '../codecs/codec-error.ts';
import { ASTM_ACK, ASTM_ENQ, ASTM_EOT, ASTM_NAK, ASTM_STX, astmFrameLength } from '../codecs/astm-frame.ts';
import { AstmFrameSequencer } from '../codecs/astm-frame-sequencer.ts';
import { ContourMessageAssembler, encodeContourReport } from '../codecs/contour-hid-report.ts';
import { decodeContourNextResult } from '../codecs/contour-next-result.ts';
import { MeterError } from '../serial/meter-error.ts';
import type { SessionOptions } from '../serial/meter-session.ts';
import type { HidLink } from './usb-link.ts';
import { ContourTransferSession } from '../serial/contour-records.ts';
import type { UsbMeterSession } from './usb-session.ts';

export type ContourItem = { control: number } | { frame: Uint8Array };

/** Splits one meter message into control bytes and whole frames; bytes that are neither are dropped. */
export function contourItems(message: Uint8Array): ContourItem[] {
  const out: ContourItem[] = [];
  for (let i = 0; i < message.length;) {
    const b = message[i];
    if (b === ASTM_EOT || b === ASTM_ENQ || b === ASTM_ACK || b === ASTM_NAK) {
      out.push({ control: b });
      i++;
      continue;
    }
    if (b === ASTM_STX) {
      let n: number;
      try {
        n = astmFrameLength(message.subarray(i));
      } catch {
        n = 0;
      }
      if (n > 0) {
        out.push({ frame: message.slice(i, i + n) });
        i += n;
        continue;
      }
      // a frame cut short: hand the rest over as one (bad) frame so it is NAKed
      out.push({ frame: message.slice(i) });
      return out;
    }
    i++;
  }
  return out;
}

export class ContourUsbSession extends ContourTransferSession<HidLink> implements UsbMeterSession {
  readonly protocol = 'contour-usb' as const;
  private readonly reports = new ContourMessageAssembler();
  private readonly sequencer = new AstmFrameSequencer();

  constructor(link: HidLink, opts: SessionOptions) {
    super(link, opts, decodeContourNextResult);
  }

  private send(byte: number): Promise<void> {
    return this.link.write(encodeContourReport(Uint8Array.of(byte)));
  }

  /** One whole meter message; a report that does not read as one is dropped (null). */
  private async message(): Promise<Uint8Array | null> {
    for (;;) {
      const report = await this.link.read(this.opts.timeouts.replyMs);
      try {
        const m = this.reports.push(report);
        if (m) return m;
      } catch (err) {
        if (!(err instanceof CodecError)) throw err;
        this.reports.reset();
        return null;
      }
    }
  }

  async connect(): Promise<void> {
    let last = 'no answer';
    for (let attempt = 0; attempt <= this.opts.retries; attempt++) {
      await this.send(ASTM_EOT);
      try {
        // a meter still talking from before may send a few other messages first: bounded
        for (let n = 0; n < 16; n++) {
          const m = await this.message();
          const items = m ? contourItems(m) : [];
          const lastItem = items[items.length - 1];
          if (lastItem && 'control' in lastItem && lastItem.control === ASTM_ENQ) {
            this.sequencer.restart();
            await this.send(ASTM_ACK);
            return;
          }
          last = m ? 'a message without ENQ' : 'a garbled report';
        }
      } catch (err) {
        if (!(err instanceof MeterError && err.code === 'ERR_TIMEOUT')) throw err;
        last = err.message;
      }
    }
    throw new MeterError('ERR_RETRIES_EXHAUSTED', `the meter did not start a transfer (${last})`);
  }

  /** Receives until at least one record is complete (true) or the meter sent EOT (false). */
  protected async receive(): Promise<boolean> {
    let failures = 0;
    let reason = '';
    for (;;) {
      let items: ContourItem[] = [];
      try {
        const m = await this.message();
        items = m ? contourItems(m) : [];
        if (items.length === 0) reason = 'a garbled report';
      } catch (err) {
        if (!(err instanceof MeterError && err.code === 'ERR_TIMEOUT')) throw err;
        reason = err.message;
      }
      let got = false;
      let nak = items.length === 0;
      for (const item of items) {
        if ('control' in item) {
          if (item.control === ASTM_EOT) {
            this.ended = true;
            return false;
          }
          if (item.control === ASTM_ENQ) this.sequencer.restart();
          continue;
        }
        const v = this.sequencer.accept(item.frame);
        if (v.reply === 'nak') {
          nak = true;
          reason = v.reason;
          break;
        }
        this.queue.push(...v.records);
        got ||= v.records.length > 0;
      }
      if (!nak) {
        await this.send(ASTM_ACK);
        if (got) return true;
        failures = 0;
        continue;
      }
      if (++failures > this.opts.retries) {
        throw new MeterError('ERR_RETRIES_EXHAUSTED', `frame failed ${failures} times: ${reason}`);
      }
      await this.send(ASTM_NAK);
    }
  }

  async disconnect(): Promise<void> {
    // Tidepool ends with an ACK so the meter leaves transfer mode cleanly; a gone meter is not an error here.
    await this.send(ASTM_ACK).catch(() => undefined);
  }
}
