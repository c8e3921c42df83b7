// The receiving side of E1381 frame acceptance, without I/O: what to answer to each frame and which records it
// completed. A frame with the expected number is accepted (ACK); a repeat of the one before is a retransmission
// after a lost ACK (ACK, nothing new); anything else, or a frame that does not decode, is NAKed so the sender
// repeats it (glucometerutils support/contourusb.py `checkframe`; CLSI LIS1-A). The first frame after an
// establishment may carry any number: it sets the count (glucometerutils starts from `currecno = None`).
import { CodecError } from './codec-error.ts';
import { decodeAstmFrame, nextAstmFrameNumber } from './astm-frame.ts';
import { AstmRecordAssembler } from './astm-record-assembler.ts';

export interface SequencedRecord {
  /** Record text without its CR. */
  text: string;
  /** Hex of the frame(s) it arrived in, space-separated. */
  raw: string;
}

export type SequencerVerdict =
  { reply: 'ack'; records: SequencedRecord[]; duplicate: boolean } | { reply: 'nak'; reason: string };

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export class AstmFrameSequencer {
  private expected: number | null = null;
  private readonly assembler = new AstmRecordAssembler();
  private frames: string[] = [];

  /**
   * A new establishment (ENQ): a half-received record is dropped and the next frame sets the count again, or,
   * for a sender that always starts at one number (E1381 says 1), must carry `firstFrameNumber`.
   */
  restart(firstFrameNumber: number | null = null): void {
    this.expected = firstFrameNumber;
    this.assembler.reset();
    this.frames = [];
  }

  accept(bytes: Uint8Array): SequencerVerdict {
    let frame;
    try {
      frame = decodeAstmFrame(bytes);
    } catch (err) {
      if (err instanceof CodecError) return { reply: 'nak', reason: err.message };
      throw err;
    }
    if (this.expected !== null && frame.frameNumber !== this.expected) {
      if (frame.frameNumber === (this.expected + 7) % 8)
        return { reply: 'ack', records: [], duplicate: true };
      return { reply: 'nak', reason: `frame number ${frame.frameNumber}, expected ${this.expected}` };
    }
    let texts: string[];
    try {
      texts = this.assembler.push(frame.text);
    } catch (err) {
      if (err instanceof CodecError) return { reply: 'nak', reason: err.message };
      throw err;
    }
    this.expected = nextAstmFrameNumber(frame.frameNumber);
    this.frames.push(hex(bytes));
    const raw = this.frames.join(' ');
    if (texts.length > 0) this.frames = this.assembler.partial === '' ? [] : [hex(bytes)];
    return { reply: 'ack', records: texts.map((text) => ({ text, raw })), duplicate: false };
  }

  /** The frame number the next new frame must carry (null right after an establishment). */
  get expectedFrameNumber(): number | null {
    return this.expected;
  }
}
