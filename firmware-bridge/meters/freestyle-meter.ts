// A simulated FreeStyle Precision/Optium Neo (or Libre reader) at the HID report level, after the shared HID
// protocol notes (glucometer-protocols abbott/shared-hid-protocol.md): INIT 01 → 71 01 01; text commands of
// type 0x60 answered in 62-byte pieces with a keep-alive report (22 01 xx) slipped in every third report;
// an unknown message type → 30 01 85. Neo records: type 7 (glucose, control field 10 = 0 for control
// solution, per Tidepool) and 9 (ketone, mg/dL-scaled ×18, control field 9).
import {
  FREESTYLE_TYPE,
  decodeFreeStyleReport,
  encodeFreeStyleReport,
} from '../../drivers/codecs/freestyle-hid-report.ts';
import { encodeFreeStyleClock, FREESTYLE_KETONE_FACTOR } from '../../drivers/codecs/freestyle-records.ts';
import {
  encodeFreeStyleLog,
  encodeFreeStyleReply,
  freeStyleChecksum,
} from '../../drivers/codecs/freestyle-text.ts';
import type { HidMeterModel } from './usb-sim-link.ts';
import { FaultBook, garbageReport, type UsbRecord, type UsbScenario } from './usb-scenario.ts';

function dateFields(time: string): string {
  const { date, time: t } = encodeFreeStyleClock(time);
  const [mo, d, yy] = date.split(',');
  return [mo, d, yy, ...t.split(',')].join(',');
}

export function neoLine(r: UsbRecord, id: number): string {
  if (r.ketone) {
    return `9,${id},${dateFields(r.time)},0,${Math.round(r.value * FREESTYLE_KETONE_FACTOR)},${r.control ? 0 : 1}`;
  }
  const value = r.flag === 'high' ? 'HI' : r.flag === 'low' ? 'LO' : String(Math.round(r.value));
  return `7,${id},${dateFields(r.time)},0,${value},0,${r.control ? 0 : 1},0,0,0,0,0,0,0,0`;
}

export class FreeStyleMeter implements HidMeterModel {
  private readonly faults: FaultBook;
  private sent = 0;

  private readonly s: UsbScenario;

  constructor(s: UsbScenario) {
    this.s = s;
    this.faults = new FaultBook(s.faults);
  }

  private lines(): string[] {
    return this.s.records.map((r, i) => neoLine(r, this.s.records.length - i));
  }

  private reply(command: string): string {
    const clock = encodeFreeStyleClock(this.s.clock);
    switch (command) {
      case '$serlnum?':
        return encodeFreeStyleReply(`${this.s.serial}\r\n`);
      case '$date?':
        return encodeFreeStyleReply(`${clock.date}\r\n`);
      case '$time?':
        return encodeFreeStyleReply(`${clock.time}\r\n`);
      case '$result?':
        return encodeFreeStyleReply(encodeFreeStyleLog(this.lines()));
      default:
        return encodeFreeStyleReply('', false);
    }
  }

  private send(io: { send(r: Uint8Array): void }, report: Uint8Array): void {
    io.send(report);
    if (++this.sent % 3 === 0)
      io.send(Uint8Array.of(FREESTYLE_TYPE.KEEPALIVE, 1, this.sent & 0xff, ...new Uint8Array(61)));
  }

  output(report: Uint8Array, io: { send(r: Uint8Array): void; unplug(): void }): void {
    const { type, payload } = decodeFreeStyleReport(report);
    if (type === FREESTYLE_TYPE.INIT)
      return this.send(
        io,
        encodeFreeStyleReport({ type: FREESTYLE_TYPE.INIT_REPLY, payload: Uint8Array.of(1) }),
      );
    if (type !== FREESTYLE_TYPE.TEXT) {
      return this.send(
        io,
        encodeFreeStyleReport({ type: FREESTYLE_TYPE.UNKNOWN_COMMAND, payload: Uint8Array.of(0x85) }),
      );
    }
    const command = Buffer.from(payload).toString('latin1');
    let text = this.reply(command);
    const results = command === '$result?';
    // the record whose line a fault hits: where that line starts in the reply
    const lineStart = (k: number): number =>
      this.lines()
        .slice(0, k)
        .reduce((n, l) => n + l.length + 2, 0);
    let cutAt = Infinity;
    for (let k = 0; results && k < this.s.records.length; k++) {
      if (this.faults.hit('bad-checksum', k)) {
        const sum = freeStyleChecksum(text.slice(0, text.indexOf('CKSM:'))) + 1;
        text = text.replace(/CKSM:[0-9A-F]{8}/, `CKSM:${sum.toString(16).toUpperCase().padStart(8, '0')}`);
      }
      if (this.faults.hit('garbage', k)) io.send(garbageReport());
      if (this.faults.hit('unplug', k)) cutAt = Math.min(cutAt, lineStart(k) + 5);
    }
    for (let at = 0; at < text.length; at += 62) {
      if (at >= cutAt) return io.unplug();
      const piece = Buffer.from(text.slice(at, at + 62), 'latin1');
      this.send(io, encodeFreeStyleReport({ type: FREESTYLE_TYPE.TEXT, payload: piece }));
    }
  }
}
