// The three SCSI commands the OneTouch Verio 2015 register interface needs (SPC/SBC; glucometer-protocols
// lifescan/onetouch-verio-2015.md: "Raw commands seem to be required, as the device rejects any CDB with
// non-default flags set"), so every flag byte is zero:
//   INQUIRY    12 00 00 00 LL 00          standard data: bytes 8..15 are the T10 vendor identification
//   READ(10)   28 00 LBA(4, big-endian) 00 00 01 00
//   WRITE(10)  2A 00 LBA(4, big-endian) 00 00 01 00
import { CodecError } from './codec-error.ts';

export const SCSI_INQUIRY = 0x12;
export const SCSI_READ_10 = 0x28;
export const SCSI_WRITE_10 = 0x2a;
/** Standard INQUIRY data is at least 36 bytes. */
export const SCSI_INQUIRY_LENGTH = 36;

export function inquiryCdb(allocationLength = SCSI_INQUIRY_LENGTH): Uint8Array {
  if (!Number.isInteger(allocationLength) || allocationLength < 5 || allocationLength > 255) {
    throw new CodecError('ERR_OUT_OF_RANGE', `INQUIRY allocation length ${allocationLength}`);
  }
  return Uint8Array.of(SCSI_INQUIRY, 0, 0, 0, allocationLength, 0);
}

function rw10(op: number, lba: number, blocks: number): Uint8Array {
  if (!Number.isInteger(lba) || lba < 0 || lba > 0xffffffff)
    throw new CodecError('ERR_OUT_OF_RANGE', `LBA ${lba}`);
  if (!Number.isInteger(blocks) || blocks < 1 || blocks > 0xffff)
    throw new CodecError('ERR_OUT_OF_RANGE', `block count ${blocks}`);
  return Uint8Array.of(
    op,
    0,
    lba >>> 24,
    (lba >>> 16) & 0xff,
    (lba >>> 8) & 0xff,
    lba & 0xff,
    0,
    blocks >> 8,
    blocks & 0xff,
    0,
  );
}

export const read10Cdb = (lba: number, blocks = 1): Uint8Array => rw10(SCSI_READ_10, lba, blocks);
export const write10Cdb = (lba: number, blocks = 1): Uint8Array => rw10(SCSI_WRITE_10, lba, blocks);

export type ScsiCommand =
  { op: 'inquiry'; allocationLength: number } | { op: 'read10' | 'write10'; lba: number; blocks: number };

/** Reads a CDB back (for the simulated meter and `decode`); anything else is ERR_UNKNOWN_OPCODE. */
export function decodeScsiCdb(cdb: Uint8Array): ScsiCommand {
  if (cdb.length === 6 && cdb[0] === SCSI_INQUIRY) {
    if (cdb[1] !== 0 || cdb[2] !== 0)
      throw new CodecError('ERR_RESERVED_VALUE', 'INQUIRY with EVPD/page code set');
    return { op: 'inquiry', allocationLength: (cdb[3] << 8) | cdb[4] };
  }
  if (cdb.length === 10 && (cdb[0] === SCSI_READ_10 || cdb[0] === SCSI_WRITE_10)) {
    if (cdb[1] !== 0 || cdb[6] !== 0 || cdb[9] !== 0) {
      throw new CodecError('ERR_RESERVED_VALUE', 'READ/WRITE(10) with flag bits set');
    }
    const lba = ((cdb[2] << 24) | (cdb[3] << 16) | (cdb[4] << 8) | cdb[5]) >>> 0;
    return { op: cdb[0] === SCSI_READ_10 ? 'read10' : 'write10', lba, blocks: (cdb[7] << 8) | cdb[8] };
  }
  throw new CodecError(
    'ERR_UNKNOWN_OPCODE',
    `SCSI CDB ${Buffer.from(cdb).toString('hex')} is not one of INQUIRY, READ(10), WRITE(10)`,
  );
}

/** The T10 vendor identification (bytes 8..15, space-padded ASCII) of standard INQUIRY data. */
export function inquiryVendor(data: Uint8Array): string {
  if (data.length < 16) throw new CodecError('ERR_TOO_SHORT', `INQUIRY data is ${data.length} bytes`);
  return Buffer.from(data.subarray(8, 16))
    .toString('latin1')
    .replace(/[\0 ]+$/, '');
}

export function encodeInquiryData(vendor: string, product = '', revision = ''): Uint8Array {
  const out = new Uint8Array(SCSI_INQUIRY_LENGTH);
  out[0] = 0x00; // direct-access block device
  out[1] = 0x80; // removable
  out[2] = 0x04; // SPC-2
  out[3] = 0x02;
  out[4] = SCSI_INQUIRY_LENGTH - 5;
  const put = (at: number, n: number, s: string): void => {
    if (!/^[\x20-\x7e]*$/.test(s) || s.length > n)
      throw new CodecError('ERR_INVALID_ARGUMENT', `INQUIRY text ${JSON.stringify(s)}`);
    out.set(Buffer.from(s.padEnd(n, ' '), 'latin1'), at);
  };
  put(8, 8, vendor);
  put(16, 16, product);
  put(32, 4, revision);
  return out;
}
