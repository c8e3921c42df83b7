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
import { FaultPlan, meterClock, noiseSource } from './scenario.ts';

const NAK_ANSWER = Uint8Array.of(0x05, 0x15);

export function startUltraEasyMeter(port: MeterPort, scenario: Scenario): void {
  const faults = new FaultPlan(scenario.faults);
  const noise = noiseSource(scenario.seed ?? 1);
  const clock = meterClock(scenario.clock);
  let input = Buffer.alloc(0);
  let busy = Promise.resolve();
  // Link state: our sequence bit, the host's last sequence bit, our last answer (for retransmissions).
  let sequence = false;
  let lastHostSequence: boolean | null = null;
  let lastAnswer: Uint8Array | null = null;
  let lastRequest: UltraEasyRequest | null = null;

  const frame = (message: Uint8Array, ack: boolean, disconnect = false): Uint8Array =>
    encodeOneTouchFrame({
      link: { sequence, expectReceive: !(lastHostSequence ?? true), ack, disconnect, more: false },
      message,
    });

  const answerFor = (req: UltraEasyRequest): Uint8Array => {
    switch (req.kind) {
      case 'version':
        return encodeUltraEasyVersion('P02.00.00');
      case 'serial':
        return encodeUltraEasySerial(scenario.serial);
      case 'read-clock':
        return encodeUltraEasyClock(ultraEasySeconds(clock()));
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
  };

  const handle = async (bytes: Buffer): Promise<void> => {
    let f: ReturnType<typeof decodeOneTouchFrame>;
    try {
      f = decodeOneTouchFrame(bytes);
    } catch {
      return; // a corrupt frame from the host: stay silent, it will resend
    }
    if (f.link.disconnect) {
      sequence = false;
      lastHostSequence = null;
      lastAnswer = null;
      await port.write(frame(new Uint8Array(0), true, true));
      return;
    }
    if (f.link.ack) {
      if (lastAnswer) {
        sequence = !sequence; // our answer arrived
        lastAnswer = null;
      }
      return;
    }
    const retransmission = lastAnswer !== null && f.link.sequence === lastHostSequence;
    let req: UltraEasyRequest | null;
    if (retransmission) {
      req = lastRequest;
    } else {
      try {
        req = decodeUltraEasyRequest(f.message);
      } catch {
        req = null;
      }
    }
    const fault = req?.kind === 'record' ? faults.take(req.index) : undefined;
    if (fault?.kind === 'silence') return;
    if (fault?.kind === 'unplug') {
      await port.unplug();
      return;
    }
    lastHostSequence = f.link.sequence;
    lastRequest = req;
    // A retransmitted request gets the same answer again (unless a fault replaces it).
    const answer =
      fault?.kind === 'nak' || !req ? NAK_ANSWER : retransmission && lastAnswer ? lastAnswer : answerFor(req);
    lastAnswer = answer;
    if (fault?.kind === 'noise') await port.write(noise(fault.bytes ?? 16));
    // ACK and answer leave in one write: one pass through the pty instead of two.
    const ack = frame(new Uint8Array(0), true);
    const out = frame(answer, false);
    if (fault?.kind === 'bad-checksum') await port.write(Buffer.concat([ack, corruptChecksum(out, 1)]));
    else if (fault?.kind === 'cut') await port.write(Buffer.concat([ack, firstHalf(out)]));
    else await port.write(Buffer.concat([ack, out]));
  };

  port.onData((chunk) => {
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
      busy = busy.then(() => handle(bytes));
    }
  });
}
