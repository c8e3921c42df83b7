// A simulated OneTouch Verio (2015) at the SCSI command level (glucometer-protocols
// lifescan/onetouch-verio-2015.md): INQUIRY answers vendor `LifeScan`; WRITE(10) of a request block to
// register 3 or 4 leaves the answer in that register; READ(10) returns it. Records are numbered newest first.
import { CodecError } from '../../drivers/codecs/codec-error.ts';
import { decodeScsiCdb, encodeInquiryData } from '../../drivers/codecs/scsi-cdb.ts';
import {
  VERIO_REGISTER_SIZE,
  decodeVerioBlock,
  decodeVerioRequest,
  encodeVerioBlock,
  encodeVerioQuery,
  encodeVerioRecord,
  encodeVerioRecordCount,
  encodeVerioRtc,
  encodeVerioUnit,
  verioTimestamp,
} from '../../drivers/codecs/verio-messages.ts';
import type { ScsiAnswer, ScsiMeterModel } from './usb-sim-link.ts';
import { FaultBook, type UsbScenario } from './usb-scenario.ts';

export class VerioMeter implements ScsiMeterModel {
  private readonly registers = new Map<number, Uint8Array>();
  private readonly faults: FaultBook;
  private gone = false;

  private readonly s: UsbScenario;
  private readonly vendor: string;

  constructor(s: UsbScenario, vendor = 'LifeScan') {
    this.s = s;
    this.vendor = vendor;
    this.faults = new FaultBook(s.faults);
  }

  /** The answer message to one request, and the scenario record it carries (for faults). */
  private answer(block: Uint8Array, lba: number): { message: Uint8Array; record?: number } {
    const req = decodeVerioRequest(decodeVerioBlock(block), lba);
    const n = this.s.records.length;
    switch (req.kind) {
      case 'query':
        return {
          message: encodeVerioQuery(
            req.selector === 'serial' ? this.s.serial : req.selector === 'model' ? 'Verio' : '1.0.0',
          ),
        };
      case 'read-unit':
        return { message: encodeVerioUnit(this.s.unit ?? 'mg/dL') };
      case 'read-rtc':
        return { message: encodeVerioRtc(verioTimestamp(this.s.clock)) };
      case 'record-count':
        return { message: encodeVerioRecordCount(n) };
      case 'record': {
        const k = n - 1 - req.index; // index 0 = newest = last scenario record
        const r = this.s.records[k];
        if (!r) return { message: Uint8Array.of(0x03, 0x15) };
        return {
          message: encodeVerioRecord({
            inverseCounter: k,
            lifetimeCounter: 1000 + k,
            timestamp: verioTimestamp(r.time),
            value: Math.round(r.value),
            meal: 'none',
          }),
          record: k,
        };
      }
    }
  }

  command(cdb: Uint8Array, dataOut?: Uint8Array): ScsiAnswer {
    if (this.gone) return { gone: true };
    let cmd;
    try {
      cmd = decodeScsiCdb(cdb);
    } catch (err) {
      return { check: (err as Error).message };
    }
    if (cmd.op === 'inquiry') return { data: encodeInquiryData(this.vendor, 'Verio', '1.00') };
    if (cmd.lba !== 3 && cmd.lba !== 4) return { check: `register ${cmd.lba} is not a command register` };
    if (cmd.op === 'read10')
      return { data: this.registers.get(cmd.lba) ?? new Uint8Array(VERIO_REGISTER_SIZE) };
    if (!dataOut || dataOut.length !== VERIO_REGISTER_SIZE)
      return { check: 'WRITE(10) without one 512-byte block' };
    let a: { message: Uint8Array; record?: number };
    try {
      a = this.answer(dataOut, cmd.lba);
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      a = { message: Uint8Array.of(0x03, 0x15) }; // not success: the session gives up on it
    }
    if (a.record !== undefined && this.faults.hit('unplug', a.record)) {
      this.gone = true;
      return { gone: true };
    }
    let block = encodeVerioBlock(a.message);
    if (a.record !== undefined && this.faults.hit('bad-checksum', a.record)) block[block[1] - 1] ^= 0xff;
    if (a.record !== undefined && this.faults.hit('garbage', a.record))
      block = block.map((_, i) => (i * 53 + 7) & 0xff);
    this.registers.set(cmd.lba, block);
    return {};
  }
}
