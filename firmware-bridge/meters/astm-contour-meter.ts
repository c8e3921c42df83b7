// A simulated Bayer/Ascensia Contour speaking ASTM E1381/E1394 on a pty (Tidepool's sequence, see
// drivers/serial/astm-session.ts). Faults hit the first frame of result record `at`: bad-checksum, cut (half
// the frame, then silence until the gateway NAKs), silence (the frame is not sent until the gateway NAKs),
// noise (bytes before the frame), unplug (cable pulled instead of the frame). `nak` answers the gateway's ENQ
// with NAK ("busy") instead.
import type { AstmFrame } from '../../drivers/codecs/astm-frame.ts';
import {
  ASTM_ACK,
  ASTM_ENQ,
  ASTM_EOT,
  ASTM_NAK,
  encodeAstmFrame,
  encodeAstmRecordFrames,
  nextAstmFrameNumber,
} from '../../drivers/codecs/astm-frame.ts';
import {
  contourMeterTime,
  encodeContourHeader,
  encodeContourResult,
  encodeContourTerminator,
} from '../../drivers/codecs/astm-contour.ts';
import type { MeterPort } from './meter-port.ts';
import { corruptChecksum, firstHalf } from './meter-port.ts';
import type { Scenario, ScenarioRecord } from './scenario.ts';
import { FaultPlan, meterClock, noiseSource } from './scenario.ts';

/** E1381: a sender gives up on a frame after six NAKs. */
const MAX_SENDS = 6;
const RECORD_FAULTS = ['bad-checksum', 'cut', 'silence', 'noise', 'unplug'] as const;

export function contourResultRecord(r: ScenarioRecord, sequence: number, unit: Scenario['unit']): string {
  return encodeContourResult({
    sequence,
    valueText: unit === 'mmol/L' ? r.value.toFixed(1) : String(r.value),
    unit,
    method: 'plasma',
    annotations: r.flag === 'low' ? ['<'] : r.flag === 'high' ? ['>'] : [],
    marks: r.meal === 'before' ? ['B'] : r.meal === 'after' ? ['A'] : [],
    control: r.control ?? false,
    meterTime: contourMeterTime(r.time),
  });
}

interface OutFrame {
  frame: AstmFrame;
  /** Index of the result record this frame starts, for faults. */
  record?: number;
}

export function startContourMeter(port: MeterPort, scenario: Scenario): void {
  const faults = new FaultPlan(scenario.faults);
  const noise = noiseSource(scenario.seed ?? 1);
  const clock = meterClock(scenario.clock);
  let state: 'idle' | 'command' | 'await-ack' | 'sending' = 'idle';
  let frames: OutFrame[] = [];
  let current = 0;
  let sends = 0;
  let busy = Promise.resolve();

  const buildFrames = (): OutFrame[] => {
    const records: { text: string; record?: number }[] = [
      {
        text: encodeContourHeader({
          product: 'Bayer7390',
          versions: ['01.24', '01.04', '09.02.20'],
          serial: scenario.serial,
          sku: '7403-',
          password: '7w3LBL',
          config: {
            A: '1',
            C: '63',
            G: '1',
            I: '0200',
            R: '0',
            S: '1',
            U: scenario.unit === 'mg/dL' ? '0' : '1',
            V: '10600',
          },
          recordCount: scenario.records.length,
          specVersion: '1',
          meterTime: contourMeterTime(clock()),
        }),
      },
      { text: 'P|1' },
      ...scenario.records.map((r, i) => ({ text: contourResultRecord(r, i + 1, scenario.unit), record: i })),
      { text: encodeContourTerminator('N') },
    ];
    const out: OutFrame[] = [];
    let fn = 1;
    records.forEach((rec, i) => {
      encodeAstmRecordFrames(rec.text, fn, i === records.length - 1).forEach((frame, k) => {
        out.push(k === 0 && rec.record !== undefined ? { frame, record: rec.record } : { frame });
        fn = nextAstmFrameNumber(frame.frameNumber);
      });
    });
    return out;
  };

  const sendCurrent = async (): Promise<void> => {
    if (current >= frames.length) {
      state = 'idle';
      await port.write(Uint8Array.of(ASTM_EOT));
      return;
    }
    sends++;
    if (sends > MAX_SENDS) {
      state = 'idle';
      await port.write(Uint8Array.of(ASTM_EOT));
      return;
    }
    const out = frames[current];
    const bytes = encodeAstmFrame(out.frame);
    const fault = out.record !== undefined ? faults.take(out.record, RECORD_FAULTS) : undefined;
    switch (fault?.kind) {
      case 'bad-checksum':
        return port.write(corruptChecksum(bytes, 4));
      case 'cut':
        return port.write(firstHalf(bytes));
      case 'silence':
        return;
      case 'noise':
        await port.write(noise(fault.bytes ?? 16));
        return port.write(bytes);
      case 'unplug':
        return port.unplug();
      default:
        return port.write(bytes);
    }
  };

  const handle = async (byte: number): Promise<void> => {
    switch (state) {
      case 'idle':
      case 'command':
        if (byte === ASTM_NAK) {
          state = 'idle';
          await port.write(Uint8Array.of(ASTM_EOT));
        } else if (byte === ASTM_ENQ) {
          if (faults.takeKind('nak')) {
            await port.write(Uint8Array.of(ASTM_NAK));
          } else {
            state = 'command';
            await port.write(Uint8Array.of(ASTM_ACK));
          }
        } else if (byte === ASTM_EOT && state === 'command') {
          state = 'await-ack';
          await port.write(Uint8Array.of(ASTM_ENQ));
        }
        return;
      case 'await-ack':
        if (byte === ASTM_ACK) {
          state = 'sending';
          frames = buildFrames();
          current = 0;
          sends = 0;
          await sendCurrent();
        } else if (byte === ASTM_NAK) {
          state = 'idle';
          await port.write(Uint8Array.of(ASTM_EOT));
        }
        return;
      case 'sending':
        if (byte === ASTM_ACK) {
          current++;
          sends = 0;
          await sendCurrent();
        } else if (byte === ASTM_NAK) {
          await sendCurrent();
        } else if (byte === ASTM_EOT) {
          state = 'idle'; // receiver interrupt
        }
        return;
    }
  };

  port.onData((chunk) => {
    for (const byte of chunk) busy = busy.then(() => handle(byte));
  });
}
