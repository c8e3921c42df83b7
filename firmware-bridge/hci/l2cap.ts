// L2CAP basic frames over ACL: fragmentation (controller -> host) and reassembly (host -> controller).
import { CodecError } from '../../drivers/codecs/codec-error.ts';
import { encodeAcl } from './h4.ts';
import { Pb } from './hci-constants.ts';

export const Cid = { att: 0x0004, signaling: 0x0005, smp: 0x0006 } as const;

export interface L2capFrame {
  cid: number;
  payload: Buffer;
}

export function encodeL2cap(cid: number, payload: Uint8Array): Buffer {
  if (payload.length > 0xffff)
    throw new CodecError('ERR_TOO_LONG', `L2CAP payload ${payload.length} > 65535`);
  const out = Buffer.alloc(4 + payload.length);
  out.writeUInt16LE(payload.length, 0);
  out.writeUInt16LE(cid, 2);
  out.set(payload, 4);
  return out;
}

/**
 * H4 ACL packets for one L2CAP frame. The start fragment uses PB=10 (first, flushable): noble drops
 * controller-to-host start fragments with PB=00 (spec E.5.2).
 */
export function fragmentL2cap(
  handle: number,
  cid: number,
  payload: Uint8Array,
  maxFragment: number,
): Buffer[] {
  if (!Number.isInteger(maxFragment) || maxFragment < 1) {
    throw new CodecError('ERR_OUT_OF_RANGE', `ACL fragment size ${maxFragment} must be >= 1`);
  }
  const frame = encodeL2cap(cid, payload);
  const out: Buffer[] = [];
  for (let off = 0; off < frame.length; off += maxFragment) {
    const pb = off === 0 ? Pb.firstFlushable : Pb.continuation;
    out.push(encodeAcl(handle, pb, frame.subarray(off, off + maxFragment)));
  }
  return out;
}

/** Reassembles one connection's ACL fragments into L2CAP frames. */
export class L2capReassembler {
  private partial: { length: number; cid: number; chunks: Buffer[]; have: number } | null = null;
  private headerBytes: Buffer | null = null;
  /** fragments that could not belong to a frame (continuation without start, overflow) */
  dropped = 0;

  push(pb: number, data: Uint8Array): L2capFrame[] {
    const out: L2capFrame[] = [];
    if (pb === Pb.firstNonFlushable || pb === Pb.firstFlushable) {
      if (this.partial || this.headerBytes) this.dropped++;
      this.partial = null;
      this.headerBytes = null;
      this.start(Buffer.from(data), out);
    } else if (pb === Pb.continuation) {
      if (this.headerBytes) {
        const joined = Buffer.concat([this.headerBytes, data]);
        this.headerBytes = null;
        this.start(joined, out);
      } else if (this.partial) {
        const p = this.partial;
        p.chunks.push(Buffer.from(data));
        p.have += data.length;
        if (p.have === p.length) {
          out.push({ cid: p.cid, payload: Buffer.concat(p.chunks) });
          this.partial = null;
        } else if (p.have > p.length) {
          this.dropped++;
          this.partial = null;
        }
      } else {
        this.dropped++;
      }
    } else {
      this.dropped++;
    }
    return out;
  }

  private start(data: Buffer, out: L2capFrame[]): void {
    if (data.length < 4) {
      this.headerBytes = data; // basic header split across fragments
      return;
    }
    const length = data.readUInt16LE(0);
    const cid = data.readUInt16LE(2);
    const body = data.subarray(4);
    if (body.length === length) out.push({ cid, payload: Buffer.from(body) });
    else if (body.length < length)
      this.partial = { length, cid, chunks: [Buffer.from(body)], have: body.length };
    else this.dropped++;
  }

  reset(): void {
    this.partial = null;
    this.headerBytes = null;
  }
}
