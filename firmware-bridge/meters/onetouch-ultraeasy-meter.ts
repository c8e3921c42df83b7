// A simulated LifeScan OneTouch Ultra Easy speaking the binary link protocol on a pty. Faults hit the answer to
// the request for record `at`: bad-checksum (answer with a wrong CRC), cut (half the answer), silence (no ACK,
// no answer), noise (bytes before the ACK), nak (answer `05 15`), unplug (cable pulled instead of answering).
import {
  decodeOneTouchFrame,
  encodeOneTouchFrame,
  oneTouchFrameLength,
} from '../../drivers/codecs/onetouch-frame.ts';
import type { UltraEasyRequest } from '../../drivers/codecs/onetouch-ultraeasy-messages.ts';
import {
  decodeUltraEasyRequest,
  encodeUltraEasyClock,
  encodeUltraEasyRecord,
  encodeUltraEasyRecordCount,
  encodeUltraEasySerial,
  encodeUltraEasyUnit,
  encodeUltraEasyVersion,
  ultraEasySeconds,
} from '../../drivers/codecs/onetouch-ultraeasy-messages.ts';
import type { MeterPort } from './meter-port.ts';
import { corruptChecksum, firstHalf } from './meter-port.ts';
import type { Scenario } from './scenario.ts';
import { ScenarioMeter, type FaultPlan } from './scenario.ts';

const NAK_ANSWER = Uint8Array.of(0x05, 0x15);

export function startUltraEasyMeter(port: MeterPort, scenario: Scenario): void {
  const meter = new UltraEasyMeter(port, scenario);
  let busy = Promise.resolve();
  port.onData(
    frameSplitter((bytes) => {
      busy = busy.then(() => meter.handle(bytes));
    }),
  );
}

type Fault = ReturnType<FaultPlan['take']>;

class UltraEasyMeter extends ScenarioMeter<MeterPort> {
  // Link state: our sequence bit, the host's last sequence bit, our last answer (for retransmissions).
  private sequence = false;
  private lastHostSequence: boolean | null = null;
  private lastAnswer: Uint8Array | null = null;
  private lastRequest: UltraEasyRequest | null = null;

  private frame(message: Uint8Array, ack: boolean, disconnect = false): Uint8Array {
    const expectReceive = !(this.lastHostSequence ?? true);
    return encodeOneTouchFrame({
      link: { sequence: this.sequence, expectReceive, ack, disconnect, more: false },
      message,
    });
  }

  private answerFor(req: UltraEasyRequest): Uint8Array {
    const { scenario } = this;
    switch (req.kind) {
      case 'version':
        return encodeUltraEasyVersion('P02.00.00');
      case 'serial':
        return encodeUltraEasySerial(scenario.serial);
      case 'read-clock':
        return encodeUltraEasyClock(ultraEasySeconds(this.clock()));
      case 'unit':
        return encodeUltraEasyUnit(scenario.unit);
      case 'record-count':
        return encodeUltraEasyRecordCount(scenario.records.length);
      case 'record': {
        const r = scenario.records[req.index];
        if (!r) return NAK_ANSWER;
        return encodeUltraEasyRecord({ timestamp: ultraEasySeconds(r.time), value: r.value });
      }
    }
  }

  /** One whole frame from the host. */
  async handle(bytes: Buffer): Promise<void> {
    let f: ReturnType<typeof decodeOneTouchFrame>;
    try {
      f = decodeOneTouchFrame(bytes);
    } catch {
      return; // a corrupt frame from the host: stay silent, it will resend
    }
    if (f.link.disconnect) {
      this.sequence = false;
      this.lastHostSequence = null;
      this.lastAnswer = null;
      await this.port.write(this.frame(new Uint8Array(0), true, true));
      return;
    }
    if (f.link.ack) {
      if (this.lastAnswer) {
        this.sequence = !this.sequence; // our answer arrived
        this.lastAnswer = null;
      }
      return;
    }
    await this.answer(f);
  }

  /** A request (new or retransmitted): ACK and answer, or the fault scheduled for its record. */
  private async answer(f: ReturnType<typeof decodeOneTouchFrame>): Promise<void> {
    const retransmission = this.lastAnswer !== null && f.link.sequence === this.lastHostSequence;
    const req = retransmission ? this.lastRequest : decodeOrNull(f.message);
    const fault = req?.kind === 'record' ? this.faults.take(req.index) : undefined;
    if (fault?.kind === 'silence') return;
    if (fault?.kind === 'unplug') {
      await this.port.unplug();
      return;
    }
    this.lastHostSequence = f.link.sequence;
    this.lastRequest = req;
    // A retransmitted request gets the same answer again (unless a fault replaces it).
    const answer =
      fault?.kind === 'nak' || !req
        ? NAK_ANSWER
        : retransmission && this.lastAnswer
          ? this.lastAnswer
          : this.answerFor(req);
    this.lastAnswer = answer;
    await this.send(answer, fault);
  }

  private async send(answer: Uint8Array, fault: Fault): Promise<void> {
    if (fault?.kind === 'noise') await this.port.write(this.noise(fault.bytes ?? 16));
    // ACK and answer leave in one write: one pass through the pty instead of two.
    const ack = this.frame(new Uint8Array(0), true);
    const out = this.frame(answer, false);
    if (fault?.kind === 'bad-checksum') await this.port.write(Buffer.concat([ack, corruptChecksum(out, 1)]));
    else if (fault?.kind === 'cut') await this.port.write(Buffer.concat([ack, firstHalf(out)]));
    else await this.port.write(Buffer.concat([ack, out]));
  }
}

function decodeOrNull(message: Uint8Array): UltraEasyRequest | null {
  try {
    return decodeUltraEasyRequest(message);
  } catch {
    return null;
  }
}

/** Cuts the incoming bytes into whole frames (STX … ); bytes before an STX and broken headers are skipped. */
function frameSplitter(onFrame: (bytes: Buffer) => void): (chunk: Buffer) => void {
  let input = Buffer.alloc(0);
  return (chunk) => {
    input = Buffer.concat([input, chunk]);
    for (;;) {
      const stx = input.indexOf(0x02);
      if (stx < 0) {
        input = Buffer.alloc(0);
        return;
      }
      input = input.subarray(stx);
      let n: number;
      try {
        n = oneTouchFrameLength(input);
      } catch {
        input = input.subarray(1);
        continue;
      }
      if (n === 0) return;
      const bytes = Buffer.from(input.subarray(0, n));
      input = input.subarray(n);
      onFrame(bytes);
    }
  };
}
