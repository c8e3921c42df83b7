// Bayer/Ascensia Contour meters over ASTM E1381/E1394 on a serial line (spec D.3, Tidepool's sequence):
//   gateway NAK → meter EOT (ENQ: NAK again); gateway ENQ → meter ACK (NAK = busy: wait, ask again);
//   gateway EOT (leave command mode) → meter ENQ → gateway ACK → frames H, P, R…, L, each ACKed, then EOT.
// A frame with a bad checksum, a wrong frame number or nothing within the timeout is NAKed and the meter
// resends it (bounded). A repeated previous frame number is a retransmission: ACKed and ignored.
import { CodecError } from '../codecs/codec-error.ts';
import { ASTM_ACK, ASTM_ENQ, ASTM_EOT, ASTM_NAK, ASTM_STX, astmFrameLength } from '../codecs/astm-frame.ts';
import { AstmFrameSequencer } from '../codecs/astm-frame-sequencer.ts';
import { decodeContourResult } from '../codecs/astm-contour.ts';
import { ContourTransferSession } from './contour-records.ts';
import { MeterError } from './meter-error.ts';
import type { MeterSession, SessionOptions } from './meter-session.ts';
import type { SerialLink } from './serial-link.ts';

export const ASTM_BAUD_RATE = 9600;

/** A single control byte (EOT, ENQ, ACK, NAK) or a whole frame from STX to LF; anything else is noise. */
export function cutAstm(buf: Buffer): number {
  const b = buf[0];
  if (b === ASTM_EOT || b === ASTM_ENQ || b === ASTM_ACK || b === ASTM_NAK) return 1;
  if (b !== ASTM_STX) return -1;
  try {
    return astmFrameLength(buf);
  } catch {
    return -1; // a frame cut short by the next STX: drop this STX and resynchronise
  }
}

export class AstmContourSession extends ContourTransferSession<SerialLink> implements MeterSession {
  readonly protocol = 'astm' as const;
  private readonly sequencer = new AstmFrameSequencer();

  constructor(link: SerialLink, opts: SessionOptions) {
    super(link, opts, decodeContourResult);
    this.sequencer.restart(1); // a serial Contour numbers its first frame 1
  }

  private send(byte: number): Promise<void> {
    return this.link.write(Uint8Array.of(byte));
  }

  private async readControl(what: string): Promise<number> {
    for (;;) {
      const item = await this.link.read(cutAstm, this.opts.timeouts.replyMs, what);
      if (item.length === 1) return item[0];
      // A stray frame while we wait for a control byte: the meter is still talking from a former session.
    }
  }

  async connect(): Promise<void> {
    await this.link.flush(this.opts.timeouts.quietMs / 3);
    await this.attempts(
      async (attempt) => {
        if (attempt > 0) await this.link.flush(this.opts.timeouts.quietMs);
        await this.send(ASTM_NAK);
        let reply = await this.readControl('EOT after NAK');
        if (reply === ASTM_ENQ) {
          await this.send(ASTM_NAK); // we want the meter's EOT, not its data
          reply = await this.readControl('EOT after second NAK');
        }
        if (reply !== ASTM_EOT)
          throw new CodecError('ERR_MALFORMED', `expected EOT, got 0x${reply.toString(16)}`);
        await this.send(ASTM_ENQ);
        const ack = await this.readControl('ACK of ENQ');
        if (ack !== ASTM_ACK)
          throw new CodecError('ERR_MALFORMED', `ENQ answered with 0x${ack.toString(16)} (busy)`);
        // Leave remote-command mode: the meter answers with ENQ and starts sending once we ACK.
        await this.send(ASTM_EOT);
        const enq = await this.readControl('ENQ to start the transfer');
        if (enq !== ASTM_ENQ)
          throw new CodecError('ERR_MALFORMED', `expected ENQ, got 0x${enq.toString(16)}`);
        await this.send(ASTM_ACK);
        this.sequencer.restart(1); // a serial Contour numbers its first frame 1
      },
      (last) => `handshake failed (${last})`,
    );
  }

  /** Receives frames until at least one record is complete; false when the meter sent EOT. */
  protected async receive(): Promise<boolean> {
    let failures = 0;
    let lastFailure = '';
    for (;;) {
      const expected = this.sequencer.expectedFrameNumber;
      let item: Buffer;
      try {
        item = await this.link.read(cutAstm, this.opts.timeouts.replyMs, `frame ${expected}`);
      } catch (err) {
        if (!(err instanceof MeterError && err.code === 'ERR_TIMEOUT')) throw err;
        item = Buffer.alloc(0);
        lastFailure = err.message;
      }
      if (item.length === 1) {
        if (item[0] === ASTM_EOT) {
          this.ended = true;
          return false;
        }
        continue; // a stray control byte
      }
      if (item.length > 1) {
        const v = this.sequencer.accept(item);
        if (v.reply === 'ack') {
          // a duplicate is a frame we accepted before whose ACK was lost: ACK it again, nothing new
          this.queue.push(...v.records);
          await this.send(ASTM_ACK);
          if (v.records.length > 0) return true;
          if (!v.duplicate) failures = 0;
          continue;
        }
        lastFailure = v.reason;
      }
      failures++;
      if (failures > this.opts.retries) {
        throw new MeterError(
          'ERR_RETRIES_EXHAUSTED',
          `frame ${expected} failed ${failures} times: ${lastFailure}`,
        );
      }
      await this.send(ASTM_NAK);
    }
  }

  async disconnect(): Promise<void> {
    // The meter returns to idle after EOT; nothing to send.
  }
}
