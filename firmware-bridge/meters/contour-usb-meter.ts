// A simulated Contour Next USB at the HID report level, as glucometerutils (support/contourusb.py and its
// test vector) and Tidepool (bayerContourNext.js) see the meter: EOT from the host → one message
// [EOT, header frame, ENQ]; ACK → frames H, P, R…, L one per ACK (NAK → the same frame again); then EOT.
// Results use the short USB layout with `/` markers, `C` marking a control-solution test.
import {
  ASTM_ACK,
  ASTM_ENQ,
  ASTM_EOT,
  ASTM_NAK,
  encodeAstmFrame,
  encodeAstmRecordFrames,
} from '../../drivers/codecs/astm-frame.ts';
import { contourMeterTime } from '../../drivers/codecs/astm-contour.ts';
import { contourHeaderRecord } from './astm-contour-meter.ts';
import { decodeContourReport, encodeContourMessage } from '../../drivers/codecs/contour-hid-report.ts';
import type { HidMeterModel } from './usb-sim-link.ts';
import { FaultBook, garbageReport, type UsbRecord, type UsbScenario } from './usb-scenario.ts';

/** The record texts the meter sends, in order: H, P, R…, L. */
export function contourRecords(s: UsbScenario, product = 'Bayer7410'): string[] {
  const header = contourHeaderRecord(product, s, s.records.length, s.clock);
  const result = (r: UsbRecord, i: number): string => {
    const markers = [r.flag === 'low' ? '<' : r.flag === 'high' ? '>' : '', r.control ? 'C' : '', 'M0', 'T1'];
    const value = s.unit === 'mmol/L' ? r.value.toFixed(1) : String(Math.round(r.value));
    return `R|${i + 1}|^^^Glucose|${value}|${s.unit ?? 'mg/dL'}^P||${markers.filter(Boolean).join('/')}||${contourMeterTime(r.time)}`;
  };
  return [header, 'P|1', ...s.records.map(result), 'L|1||N'];
}

export class ContourUsbMeter implements HidMeterModel {
  private readonly frames: Uint8Array[] = [];
  private readonly records: string[];
  /** Which record (index into s.records) each frame carries, -1 for H, P, L. */
  private readonly frameRecord: number[] = [];
  private state: 'idle' | 'enq' | 'sending' | 'done' = 'idle';
  private at = 0;
  private readonly faults: FaultBook;

  private readonly s: UsbScenario;

  constructor(s: UsbScenario) {
    this.s = s;
    this.faults = new FaultBook(s.faults);
    this.records = contourRecords(s);
    let fn = 1;
    this.records.forEach((text, i) => {
      for (const f of encodeAstmRecordFrames(text, fn, i === this.records.length - 1)) {
        this.frames.push(encodeAstmFrame(f));
        this.frameRecord.push(i >= 2 && i < this.records.length - 1 ? i - 2 : -1);
        fn = (f.frameNumber + 1) % 8;
      }
    });
  }

  private message(bytes: Uint8Array, send: (r: Uint8Array) => void): void {
    for (const r of encodeContourMessage(bytes)) send(r);
  }

  private sendFrame(io: { send(r: Uint8Array): void; unplug(): void }): void {
    const rec = this.frameRecord[this.at];
    if (rec >= 0 && this.faults.hit('unplug', rec)) return io.unplug();
    if (rec >= 0 && this.faults.hit('garbage', rec)) return io.send(garbageReport());
    let frame = this.frames[this.at];
    if (rec >= 0 && this.faults.hit('bad-checksum', rec)) {
      frame = frame.slice();
      frame[frame.length - 3] = frame[frame.length - 3] === 0x30 ? 0x31 : 0x30; // second checksum digit
    }
    this.message(frame, io.send);
  }

  output(report: Uint8Array, io: { send(r: Uint8Array): void; unplug(): void }): void {
    const { payload } = decodeContourReport(report);
    const b = payload[0];
    if (b === ASTM_EOT && (this.state === 'idle' || this.state === 'done' || this.state === 'enq')) {
      this.state = 'enq';
      this.message(
        Buffer.concat([Uint8Array.of(ASTM_EOT), this.frames[0], Uint8Array.of(ASTM_ENQ)]),
        io.send,
      );
      return;
    }
    if (b === ASTM_ACK && this.state === 'enq') {
      this.state = 'sending';
      this.at = 0;
      return this.sendFrame(io);
    }
    if (this.state !== 'sending') return;
    if (b === ASTM_NAK) return this.sendFrame(io);
    if (b === ASTM_ACK) {
      this.at++;
      if (this.at >= this.frames.length) {
        this.state = 'done';
        return this.message(Uint8Array.of(ASTM_EOT), io.send);
      }
      return this.sendFrame(io);
    }
  }
}
