// Builders for the HCI events the controller sends, byte-exact with what noble 2.8 parses (spec E.6/E.7).
import { encodeEvent } from './h4.ts';
import { Evt, LeSubevent } from './hci-constants.ts';
import { addressToBytes } from './address.ts';

/** Num_HCI_Command_Packets: noble's UART handshake only accepts 1, 2 or 5 on the Reset reply. */
export const NUM_HCI_COMMAND_PACKETS = 1;

export function commandComplete(opcode: number, status: number, ret: Uint8Array = Buffer.alloc(0)): Buffer {
  const p = Buffer.alloc(4 + ret.length);
  p[0] = NUM_HCI_COMMAND_PACKETS;
  p.writeUInt16LE(opcode, 1);
  p[3] = status;
  p.set(ret, 4);
  return encodeEvent(Evt.commandComplete, p);
}

export function commandStatus(opcode: number, status: number): Buffer {
  const p = Buffer.alloc(4);
  p[0] = status;
  p[1] = NUM_HCI_COMMAND_PACKETS;
  p.writeUInt16LE(opcode, 2);
  return encodeEvent(Evt.commandStatus, p);
}

export function disconnectionComplete(handle: number, reason: number, status = 0): Buffer {
  const p = Buffer.alloc(4);
  p[0] = status;
  p.writeUInt16LE(handle, 1);
  p[3] = reason;
  return encodeEvent(Evt.disconnectionComplete, p);
}

export function numberOfCompletedPackets(counts: ReadonlyArray<{ handle: number; count: number }>): Buffer {
  const p = Buffer.alloc(1 + 4 * counts.length);
  p[0] = counts.length;
  counts.forEach((c, i) => {
    p.writeUInt16LE(c.handle, 1 + i * 4);
    p.writeUInt16LE(c.count, 3 + i * 4);
  });
  return encodeEvent(Evt.numberOfCompletedPackets, p);
}

export function encryptionChange(handle: number, enabled: boolean, status = 0): Buffer {
  const p = Buffer.alloc(4);
  p[0] = status;
  p.writeUInt16LE(handle, 1);
  p[3] = enabled ? 1 : 0;
  return encodeEvent(Evt.encryptionChange, p);
}

export function leMeta(subevent: number, body: Uint8Array): Buffer {
  const p = Buffer.alloc(1 + body.length);
  p[0] = subevent;
  p.set(body, 1);
  return encodeEvent(Evt.leMeta, p);
}

export interface ConnectionCompleteFields {
  status: number;
  handle: number;
  /** 0 = central (the only role noble accepts), 1 = peripheral. */
  role: number;
  peerAddressType: 'public' | 'random';
  peerAddress: string;
  /** units of 1.25 ms */
  interval: number;
  latency: number;
  /** units of 10 ms */
  supervisionTimeout: number;
  clockAccuracy?: number;
}

export function leConnectionComplete(f: ConnectionCompleteFields): Buffer {
  return leMeta(LeSubevent.connectionComplete, connectionCompleteBody(f, 0));
}

/** Enhanced variant (BT 5): local and peer resolvable private addresses, zero when unused. */
export function leEnhancedConnectionComplete(f: ConnectionCompleteFields): Buffer {
  return leMeta(LeSubevent.enhancedConnectionComplete, connectionCompleteBody(f, 12));
}

/** Both layouts: the enhanced one has `rpaLength` bytes of local and peer RPA (all zero) after the peer. */
function connectionCompleteBody(f: ConnectionCompleteFields, rpaLength: number): Buffer {
  const b = Buffer.alloc(18 + rpaLength);
  b[0] = f.status;
  b.writeUInt16LE(f.handle, 1);
  b[3] = f.role;
  b[4] = f.peerAddressType === 'random' ? 1 : 0;
  addressToBytes(f.peerAddress).copy(b, 5);
  const o = 11 + rpaLength;
  b.writeUInt16LE(f.interval, o);
  b.writeUInt16LE(f.latency, o + 2);
  b.writeUInt16LE(f.supervisionTimeout, o + 4);
  b[o + 6] = f.clockAccuracy ?? 0;
  return b;
}

export function leConnectionUpdateComplete(
  handle: number,
  interval: number,
  latency: number,
  timeout: number,
): Buffer {
  const b = Buffer.alloc(9);
  b[0] = 0;
  b.writeUInt16LE(handle, 1);
  b.writeUInt16LE(interval, 3);
  b.writeUInt16LE(latency, 5);
  b.writeUInt16LE(timeout, 7);
  return leMeta(LeSubevent.connectionUpdateComplete, b);
}

export function leDataLengthChange(handle: number, txOctets: number, txTime: number): Buffer {
  const b = Buffer.alloc(10);
  b.writeUInt16LE(handle, 0);
  b.writeUInt16LE(txOctets, 2);
  b.writeUInt16LE(txTime, 4);
  b.writeUInt16LE(txOctets, 6);
  b.writeUInt16LE(txTime, 8);
  return leMeta(LeSubevent.dataLengthChange, b);
}

export const AdvType = { advInd: 0, advDirectInd: 1, advScanInd: 2, advNonconnInd: 3, scanRsp: 4 } as const;

/** What an advertising report says of one advertising PDU (legacy and extended reports alike). */
type AdvertisingReportArgs = [
  eventType: number,
  addressType: 'public' | 'random',
  address: string,
  data: Uint8Array,
  rssi: number,
];

/** One report per event: noble parses multi-report events sequentially, not in the spec's array layout. */
export function leAdvertisingReport(
  ...[eventType, addressType, address, data, rssi]: AdvertisingReportArgs
): Buffer {
  const b = Buffer.alloc(11 + data.length);
  b[0] = 1; // num reports
  b[1] = eventType;
  b[2] = addressType === 'random' ? 1 : 0;
  addressToBytes(address).copy(b, 3);
  b[9] = data.length;
  b.set(data, 10);
  b.writeInt8(rssi, 10 + data.length);
  return leMeta(LeSubevent.advertisingReport, b);
}

/** Extended report event-type bits (legacy PDUs have bit 4 set). */
export const ExtAdvBits = { connectable: 0x01, scannable: 0x02, scanResponse: 0x08, legacy: 0x10 } as const;

export function leExtendedAdvertisingReport(
  ...[eventType, addressType, address, data, rssi]: AdvertisingReportArgs
): Buffer {
  const b = Buffer.alloc(25 + data.length);
  b[0] = 1; // num reports
  b.writeUInt16LE(eventType, 1);
  b[3] = addressType === 'random' ? 1 : 0;
  addressToBytes(address).copy(b, 4);
  b[10] = 1; // primary PHY: LE 1M
  b[11] = 0; // secondary PHY: none
  b[12] = 0xff; // SID: not available
  b[13] = 0x7f; // TX power: not available
  b.writeInt8(rssi, 14);
  b.writeUInt16LE(0, 15); // periodic advertising interval
  b[17] = 0; // direct address type
  // 18..23 direct address (zero)
  b[24] = data.length;
  b.set(data, 25);
  return leMeta(LeSubevent.extendedAdvertisingReport, b);
}
