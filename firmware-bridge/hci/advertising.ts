// Advertising data (AD structures, Core Spec Supplement Part A): build the ADV_IND and SCAN_RSP payloads.
import { CodecError } from '../../drivers/codecs/codec-error.ts';
import { parseUuid } from './uuid.ts';

export const AdType = {
  flags: 0x01,
  incomplete16: 0x02,
  complete16: 0x03,
  incomplete128: 0x06,
  complete128: 0x07,
  shortName: 0x08,
  completeName: 0x09,
  txPower: 0x0a,
  serviceData16: 0x16,
  manufacturer: 0xff,
} as const;

/** Legacy advertising PDUs carry at most 31 bytes of AD data. */
export const MAX_LEGACY_AD_LENGTH = 31;

export interface AdStructure {
  type: number;
  data: Buffer;
}

export function encodeAdStructures(structures: readonly AdStructure[]): Buffer {
  const parts: Buffer[] = [];
  for (const s of structures) {
    if (s.data.length > 254)
      throw new CodecError('ERR_TOO_LONG', `AD structure 0x${s.type.toString(16)} too long`);
    parts.push(Buffer.from([s.data.length + 1, s.type]), s.data);
  }
  return Buffer.concat(parts);
}

export function decodeAdStructures(bytes: Uint8Array): AdStructure[] {
  const out: AdStructure[] = [];
  let i = 0;
  while (i < bytes.length) {
    const len = bytes[i];
    if (len === 0) break; // early termination (zero padding)
    if (i + 1 + len > bytes.length) {
      throw new CodecError(
        'ERR_TOO_SHORT',
        `AD structure at ${i} claims ${len} bytes, ${bytes.length - i - 1} left`,
      );
    }
    out.push({ type: bytes[i + 1], data: Buffer.from(bytes.subarray(i + 2, i + 1 + len)) });
    i += 1 + len;
  }
  return out;
}

export interface AdvertisingContent {
  /** Complete Local Name in the scan response (and a peripheral's GAP Device Name) */
  name?: string;
  /** advertised service UUIDs (16-bit as "181f" or 0x181f, or 128-bit) */
  serviceUuids?: readonly (string | number)[];
  manufacturerData?: Uint8Array;
  serviceData?: readonly { uuid: string | number; data: Uint8Array }[];
  txPower?: number;
  /** default true; false advertises ADV_NONCONN_IND (and a peripheral refuses connections) */
  connectable?: boolean;
}

/**
 * Splits content like a typical peripheral firmware: flags, service UUIDs and service data in the
 * advertisement; local name, TX power and manufacturer data in the scan response.
 */
export function buildAdvertisingPayloads(c: AdvertisingContent): { adv: Buffer; scanRsp: Buffer } {
  const adv: AdStructure[] = [{ type: AdType.flags, data: Buffer.from([0x06]) }]; // LE General Discoverable, BR/EDR not supported
  const u16: Buffer[] = [];
  const u128: Buffer[] = [];
  for (const u of c.serviceUuids ?? []) {
    const parsed = parseUuid(u);
    (parsed.bytes.length === 2 ? u16 : u128).push(parsed.bytes);
  }
  if (u16.length) adv.push({ type: AdType.complete16, data: Buffer.concat(u16) });
  if (u128.length) adv.push({ type: AdType.complete128, data: Buffer.concat(u128) });
  for (const sd of c.serviceData ?? []) {
    const parsed = parseUuid(sd.uuid);
    if (parsed.bytes.length !== 2)
      throw new CodecError('ERR_INVALID_ARGUMENT', 'only 16-bit service data UUIDs');
    adv.push({ type: AdType.serviceData16, data: Buffer.concat([parsed.bytes, sd.data]) });
  }
  const rsp: AdStructure[] = [];
  if (c.name !== undefined) rsp.push({ type: AdType.completeName, data: Buffer.from(c.name, 'utf8') });
  if (c.txPower !== undefined) rsp.push({ type: AdType.txPower, data: Buffer.from([c.txPower & 0xff]) });
  if (c.manufacturerData) rsp.push({ type: AdType.manufacturer, data: Buffer.from(c.manufacturerData) });
  const advBytes = encodeAdStructures(adv);
  const rspBytes = encodeAdStructures(rsp);
  if (advBytes.length > MAX_LEGACY_AD_LENGTH) {
    throw new CodecError(
      'ERR_TOO_LONG',
      `advertising data ${advBytes.length} > ${MAX_LEGACY_AD_LENGTH} bytes`,
    );
  }
  if (rspBytes.length > MAX_LEGACY_AD_LENGTH) {
    throw new CodecError('ERR_TOO_LONG', `scan response ${rspBytes.length} > ${MAX_LEGACY_AD_LENGTH} bytes`);
  }
  return { adv: advBytes, scanRsp: rspBytes };
}
