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
import { ScenarioMeter } from './scenario.ts';

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

/** The header record of a simulated Contour (the fields Tidepool's and glucometerutils' vectors show). */
export function contourHeaderRecord(
  product: string,
  s: { serial: string; unit?: Scenario['unit'] },
  recordCount: number,
  meterTime: string,
): string {
  return encodeContourHeader({
    product,
    versions: ['01.24', '01.04', '09.02.20'],
    serial: s.serial,
    sku: '7403-',
    password: '7w3LBL',
    config: {
      A: '1',
      C: '63',
      G: '1',
      I: '0200',
      R: '0',
      S: '1',
      U: s.unit === 'mmol/L' ? '1' : '0',
      V: '10600',
    },
    recordCount,
    specVersion: '1',
    meterTime: contourMeterTime(meterTime),
  });
}

interface OutFrame {
  frame: AstmFrame;
  /** Index of the result record this frame starts, for faults. */
  record?: number;
}

export function startContourMeter(port: MeterPort, scenario: Scenario): void {
  const meter = new ContourSerialMeter(port, scenario);
  let busy = Promise.resolve();
  port.onData((chunk) => {
    for (const byte of chunk) busy = busy.then(() => meter.handle(byte));
  });
}

class ContourSerialMeter extends ScenarioMeter<MeterPort> {
  private state: 'idle' | 'command' | 'await-ack' | 'sending' = 'idle';
  private frames: OutFrame[] = [];
  private current = 0;
  private sends = 0;

  private buildFrames(): OutFrame[] {
    const s = this.scenario;
    const records: { text: string; record?: number }[] = [
      { text: contourHeaderRecord('Bayer7390', s, s.records.length, this.clock()) },
      { text: 'P|1' },
      ...s.records.map((r, i) => ({ text: contourResultRecord(r, i + 1, s.unit), record: i })),
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
  }

  private control(byte: number): Promise<void> {
    return this.port.write(Uint8Array.of(byte));
  }

  private async sendCurrent(): Promise<void> {
    this.sends++;
    if (this.current >= this.frames.length || this.sends > MAX_SENDS) {
      this.state = 'idle';
      return this.control(ASTM_EOT);
    }
    const out = this.frames[this.current];
    const bytes = encodeAstmFrame(out.frame);
    const fault = out.record !== undefined ? this.faults.take(out.record, RECORD_FAULTS) : undefined;
    switch (fault?.kind) {
      case 'bad-checksum':
        return this.port.write(corruptChecksum(bytes, 4));
      case 'cut':
        return this.port.write(firstHalf(bytes));
      case 'silence':
        return;
      case 'noise':
        await this.port.write(this.noise(fault.bytes ?? 16));
        return this.port.write(bytes);
      case 'unplug':
        return this.port.unplug();
      default:
        return this.port.write(bytes);
    }
  }

  async handle(byte: number): Promise<void> {
    if (this.state === 'idle' || this.state === 'command') return this.inCommandMode(byte);
    if (this.state === 'await-ack') {
      if (byte === ASTM_ACK) {
        this.state = 'sending';
        this.frames = this.buildFrames();
        this.current = 0;
        this.sends = 0;
        return this.sendCurrent();
      }
      if (byte === ASTM_NAK) {
        this.state = 'idle';
        return this.control(ASTM_EOT);
      }
      return;
    }
    if (byte === ASTM_ACK) {
      this.current++;
      this.sends = 0;
      return this.sendCurrent();
    }
    if (byte === ASTM_NAK) return this.sendCurrent();
    if (byte === ASTM_EOT) this.state = 'idle'; // receiver interrupt
  }

  private async inCommandMode(byte: number): Promise<void> {
    if (byte === ASTM_NAK) {
      this.state = 'idle';
      return this.control(ASTM_EOT);
    }
    if (byte === ASTM_ENQ) {
      if (this.faults.takeKind('nak')) return this.control(ASTM_NAK);
      this.state = 'command';
      return this.control(ASTM_ACK);
    }
    if (byte === ASTM_EOT && this.state === 'command') {
      this.state = 'await-ack';
      return this.control(ASTM_ENQ);
    }
  }
}
