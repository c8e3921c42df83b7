// The ATT client side of one link, as bluetoothd runs it for a connected LE device: requests go one after
// the other into the peripheral's own AttServer (the same server the virtual HCI controller feeds from the
// air), responses come back in order, notifications and indications are handed up, and every indication is
// confirmed at once (BlueZ confirms them itself; D-Bus clients never see them as such).
import { GatewayError } from '../../lib/errors.ts';
import { ATT_DEFAULT_MTU, AttOp } from '../hci/att.ts';

/** An ATT Error Response to a request: `attCode` is the ATT error code (0x05 Insufficient Authentication...). */
export class AttRequestError extends GatewayError {
  readonly attCode: number;
  readonly requestOpcode: number;

  constructor(attCode: number, requestOpcode: number) {
    super('ERR_ATT_REQUEST', `ATT error 0x${attCode.toString(16).padStart(2, '0')}`);
    this.attCode = attCode;
    this.requestOpcode = requestOpcode;
  }
}

/** No answer within the ATT transaction timeout (BlueZ then drops the link). */
export class AttTimeoutError extends GatewayError {
  constructor(ms: number) {
    super('ERR_ATT_TIMEOUT', `ATT request not answered within ${ms} ms`);
  }
}

interface Pending {
  resolve: (pdu: Buffer) => void;
  reject: (e: Error) => void;
}

/** BlueZ asks for the largest LE MTU; the server answers its own, both use the minimum. */
export const BLUEZ_CLIENT_MTU = 517;

export class AttClient {
  mtu = ATT_DEFAULT_MTU;
  private readonly pending: Pending[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private timer: NodeJS.Timeout | null = null;

  private readonly toServer: (pdu: Buffer) => void;
  private readonly onValue: (handle: number, value: Buffer, indication: boolean) => void;
  private readonly timeoutMs: number;
  private readonly onTimeout: () => void;

  constructor(
    /** hands a PDU to the peripheral's AttServer (its receive()) */
    toServer: (pdu: Buffer) => void,
    onValue: (handle: number, value: Buffer, indication: boolean) => void,
    timeoutMs: number,
    onTimeout: () => void,
  ) {
    this.toServer = toServer;
    this.onValue = onValue;
    this.timeoutMs = timeoutMs;
    this.onTimeout = onTimeout;
  }

  /** The AttServer's send callback: everything the server says to the central. */
  fromServer(pdu: Buffer): void {
    if (this.closed || pdu.length === 0) return;
    const op = pdu[0];
    if (op === AttOp.notification || op === AttOp.indication) {
      if (pdu.length < 3) return;
      if (op === AttOp.indication) setImmediate(() => this.toServer(Buffer.from([AttOp.confirmation])));
      this.onValue(pdu.readUInt16LE(1), Buffer.from(pdu.subarray(3)), op === AttOp.indication);
      return;
    }
    const p = this.pending.shift();
    if (!p) return; // an answer nobody asked for: ignored, as a client should
    if (this.pending.length === 0) this.stopTimer();
    else this.startTimer();
    if (op === AttOp.errorRsp && pdu.length >= 5) p.reject(new AttRequestError(pdu[4], pdu[1]));
    else p.resolve(pdu);
  }

  /** Sends one request and waits for its answer; requests are serialized as on a real bearer. */
  private request(pdu: Buffer): Promise<Buffer> {
    const run = () =>
      new Promise<Buffer>((resolve, reject) => {
        if (this.closed) return reject(new Error('not connected'));
        this.pending.push({ resolve, reject });
        if (this.pending.length === 1) this.startTimer();
        this.toServer(pdu);
      });
    const result = this.chain.then(run, run);
    this.chain = result.catch(() => undefined);
    return result;
  }

  private startTimer(): void {
    this.stopTimer();
    this.timer = setTimeout(() => {
      const err = new AttTimeoutError(this.timeoutMs);
      this.close(err);
      this.onTimeout();
    }, this.timeoutMs);
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  async exchangeMtu(clientMtu = BLUEZ_CLIENT_MTU): Promise<number> {
    const req = Buffer.alloc(3);
    req[0] = AttOp.mtuReq;
    req.writeUInt16LE(clientMtu, 1);
    const rsp = await this.request(req);
    this.mtu = Math.max(ATT_DEFAULT_MTU, Math.min(clientMtu, rsp.readUInt16LE(1)));
    return this.mtu;
  }

  /** Read, then Read Blob while the answer filled the PDU (a long value). */
  async read(handle: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let total = 0;
    for (;;) {
      const req = Buffer.alloc(total === 0 ? 3 : 5);
      req[0] = total === 0 ? AttOp.readReq : AttOp.readBlobReq;
      req.writeUInt16LE(handle, 1);
      if (total > 0) req.writeUInt16LE(total, 3);
      const part = (await this.request(req)).subarray(1);
      parts.push(part);
      total += part.length;
      if (part.length < this.mtu - 1) return Buffer.concat(parts);
    }
  }

  /** Write Request (or Prepare/Execute Write for a value longer than ATT_MTU-3). */
  async write(handle: number, value: Buffer): Promise<void> {
    if (value.length <= this.mtu - 3) {
      await this.request(Buffer.concat([Buffer.from([AttOp.writeReq, handle & 0xff, handle >> 8]), value]));
      return;
    }
    const chunk = this.mtu - 5;
    for (let offset = 0; offset < value.length; offset += chunk) {
      const head = Buffer.from([
        AttOp.prepareWriteReq,
        handle & 0xff,
        handle >> 8,
        offset & 0xff,
        offset >> 8,
      ]);
      await this.request(Buffer.concat([head, value.subarray(offset, offset + chunk)]));
    }
    await this.request(Buffer.from([AttOp.executeWriteReq, 0x01]));
  }

  /** Write Command: no answer. */
  writeWithoutResponse(handle: number, value: Buffer): void {
    if (this.closed) throw new Error('not connected');
    this.toServer(Buffer.concat([Buffer.from([AttOp.writeCmd, handle & 0xff, handle >> 8]), value]));
  }

  /** The link is gone: requests in flight fail. */
  close(err: Error = new Error('not connected')): void {
    if (this.closed) return;
    this.closed = true;
    this.stopTimer();
    for (const p of this.pending.splice(0)) p.reject(err);
  }
}
