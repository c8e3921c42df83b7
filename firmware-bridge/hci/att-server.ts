// ATT server for one connection: answers a central's requests from a GattDatabase, keeps the
// connection's MTU and CCCD state, and sends notifications and indications (one indication in flight,
// the rest queued until the Handle Value Confirmation arrives). Discovery responses are built in
// att-discovery.ts.
import { EventEmitter } from 'node:events';
import { CodecError } from '../../drivers/codecs/codec-error.ts';
import {
  ATT_DEFAULT_MTU,
  AttError,
  AttOp,
  decodeAttPdu,
  errorRsp,
  handleValue,
  isAttCommand,
  mtuRsp,
  prepareWriteRsp,
  valueRsp,
  type AttPdu,
} from './att.ts';
import { findByTypeValue, findInformation, readByGroupType, readByType } from './att-discovery.ts';
import { IndicationQueue, checkAttValueLength } from './indication-queue.ts';
import { hasProperty, type Attribute, type CharacteristicRecord, type GattDatabase } from './gatt-db.ts';

export interface Subscription {
  notify: boolean;
  indicate: boolean;
}

const MAX_PREPARED_WRITES = 64;

export interface AttServerEvents {
  mtu: [mtu: number];
  subscribe: [char: CharacteristicRecord, sub: Subscription];
}

export class AttServer extends EventEmitter<AttServerEvents> {
  /** effective ATT_MTU of this connection */
  mtu = ATT_DEFAULT_MTU;
  /** when true requests and commands are swallowed without an answer (a hung firmware) */
  unresponsive = false;
  private readonly cccd = new Map<number, number>();
  private readonly prepared: { handle: number; offset: number; value: Buffer }[] = [];
  private readonly inbox: Buffer[] = [];
  private busy = false;
  private readonly indications = new IndicationQueue<Buffer>((pdu) => {
    this.send(pdu);
    return null;
  });
  private closed = false;
  private readonly db: GattDatabase;
  private readonly connectionHandle: number;
  private readonly serverMtu: number;
  private readonly send: (pdu: Buffer) => void;

  constructor(db: GattDatabase, connectionHandle: number, serverMtu: number, send: (pdu: Buffer) => void) {
    super();
    this.db = db;
    this.connectionHandle = connectionHandle;
    this.serverMtu = serverMtu;
    this.send = send;
  }

  /** One ATT PDU from the central. Requests are served in arrival order, even with async handlers. */
  receive(pdu: Buffer): void {
    if (this.closed || pdu.length === 0) return;
    if (pdu[0] === AttOp.confirmation) {
      this.indications.confirm();
      return;
    }
    this.inbox.push(pdu);
    if (!this.busy) this.pump();
  }

  private pump(): void {
    this.busy = true;
    while (this.inbox.length > 0 && !this.closed) {
      const pdu = this.inbox.shift() as Buffer;
      const result = this.process(pdu);
      if (result) {
        result.then(
          () => this.pump(),
          () => this.pump(),
        );
        return;
      }
    }
    this.busy = false;
  }

  private reply(pdu: Buffer): void {
    if (!this.closed && !this.unresponsive) this.send(pdu);
  }

  /** Returns a promise only when a handler went async. */
  private process(raw: Buffer): Promise<void> | void {
    if (this.unresponsive) return;
    const opcode = raw[0];
    let pdu: AttPdu;
    try {
      pdu = decodeAttPdu(raw);
    } catch (e) {
      if (!(e instanceof CodecError)) throw e;
      if (!isAttCommand(opcode)) this.reply(errorRsp(opcode, 0, AttError.invalidPdu));
      return;
    }
    switch (pdu.op) {
      case 'mtuReq': {
        // Both sides use min(client, server); noble adopts the server's value, so never answer above it.
        this.mtu = Math.max(ATT_DEFAULT_MTU, Math.min(pdu.mtu, this.serverMtu));
        this.reply(mtuRsp(this.serverMtu));
        this.emit('mtu', this.mtu);
        return;
      }
      case 'readByGroupTypeReq':
        return this.reply(readByGroupType(this.db, this.mtu, pdu.start, pdu.end, pdu.type));
      case 'readByTypeReq': {
        const r = readByType(this.db, this.mtu, pdu, (a) => this.readValue(a, 0));
        return r instanceof Promise ? r.then((rsp) => this.reply(rsp)) : this.reply(r);
      }
      case 'findInfoReq':
        return this.reply(findInformation(this.db, this.mtu, pdu.start, pdu.end));
      case 'findByTypeValueReq':
        return this.reply(findByTypeValue(this.db, this.mtu, pdu));
      case 'readReq':
        return this.read(AttOp.readReq, pdu.handle, 0);
      case 'readBlobReq':
        return this.read(AttOp.readBlobReq, pdu.handle, pdu.offset);
      case 'writeReq':
        return this.write(pdu.handle, pdu.value, true);
      case 'writeCmd':
        return this.write(pdu.handle, pdu.value, false);
      case 'prepareWriteReq':
        return this.reply(this.prepareWrite(pdu.handle, pdu.offset, pdu.value));
      case 'executeWriteReq':
        return this.executeWrite(pdu.flags);
      case 'confirmation':
        return;
      case 'other':
        // Unknown commands are ignored; unknown requests get "request not supported".
        if (!isAttCommand(pdu.opcode) && pdu.opcode % 2 === 0) {
          this.reply(errorRsp(pdu.opcode, 0, AttError.requestNotSupported));
        }
        return;
    }
  }

  /** The full value of an attribute, or an ATT error code. */
  private readValue(a: Attribute, offset: number): Buffer | number | Promise<Buffer | number> {
    switch (a.kind) {
      case 'service':
      case 'charDecl':
      case 'descriptor':
        return a.value;
      case 'cccd': {
        const b = Buffer.alloc(2);
        b.writeUInt16LE(this.cccd.get(a.handle) ?? 0, 0);
        return b;
      }
      case 'charValue': {
        const c = a.char;
        if (!hasProperty(c, 'read')) return AttError.readNotPermitted;
        if (!c.def.onRead) return c.value;
        const r = c.def.onRead({ connectionHandle: this.connectionHandle, offset });
        return r instanceof Promise ? r.then(normalizeRead, () => AttError.unlikelyError) : normalizeRead(r);
      }
    }
  }

  private read(op: number, handle: number, offset: number): Promise<void> | void {
    const a = this.db.get(handle);
    if (!a) return this.reply(errorRsp(op, handle, AttError.invalidHandle));
    const finish = (v: Buffer | number): void => {
      if (typeof v === 'number') return this.reply(errorRsp(op, handle, v));
      if (offset > v.length) return this.reply(errorRsp(op, handle, AttError.invalidOffset));
      const rspOp = op === AttOp.readReq ? AttOp.readRsp : AttOp.readBlobRsp;
      this.reply(valueRsp(rspOp, v.subarray(offset, offset + this.mtu - 1)));
    };
    const r = this.readValue(a, offset);
    if (r instanceof Promise) return r.then(finish);
    finish(r);
  }

  private writable(a: Attribute, withResponse: boolean): number {
    switch (a.kind) {
      case 'cccd':
        return 0;
      case 'descriptor':
        return a.writable ? 0 : AttError.writeNotPermitted;
      case 'charValue':
        if (withResponse) return hasProperty(a.char, 'write') ? 0 : AttError.writeNotPermitted;
        return hasProperty(a.char, 'writeWithoutResponse') || hasProperty(a.char, 'write')
          ? 0
          : AttError.writeNotPermitted;
      default:
        return AttError.writeNotPermitted;
    }
  }

  private write(handle: number, value: Buffer, withResponse: boolean): Promise<void> | void {
    const op = AttOp.writeReq;
    const a = this.db.get(handle);
    if (!a) return withResponse ? this.reply(errorRsp(op, handle, AttError.invalidHandle)) : undefined;
    const denied = this.writable(a, withResponse);
    if (denied) return withResponse ? this.reply(errorRsp(op, handle, denied)) : undefined;
    const finish = (err: number | void): void => {
      if (!withResponse) return;
      this.reply(err ? errorRsp(op, handle, err) : Buffer.from([AttOp.writeRsp]));
    };
    const r = this.applyWrite(a, value, withResponse);
    if (r instanceof Promise) return r.then(finish);
    finish(r);
  }

  private applyWrite(a: Attribute, value: Buffer, withResponse: boolean): WriteOutcome {
    if (a.kind === 'cccd') {
      if (value.length !== 2) return AttError.invalidAttributeValueLength;
      const bits = value.readUInt16LE(0);
      const c = a.char;
      if ((bits & 1 && !hasProperty(c, 'notify')) || (bits & 2 && !hasProperty(c, 'indicate'))) {
        return AttError.cccdImproperlyConfigured;
      }
      const before = this.cccd.get(a.handle) ?? 0;
      this.cccd.set(a.handle, bits & 3);
      if (before !== (bits & 3))
        this.emit('subscribe', c, { notify: (bits & 1) !== 0, indicate: (bits & 2) !== 0 });
      return;
    }
    if (a.kind === 'descriptor') {
      a.value = Buffer.from(value);
      return;
    }
    if (a.kind !== 'charValue') return AttError.writeNotPermitted;
    const c = a.char;
    if (!c.def.onWrite) {
      c.value = Buffer.from(value);
      return;
    }
    const r = c.def.onWrite(value, { connectionHandle: this.connectionHandle, withResponse });
    return r instanceof Promise ? r.then(normalizeWrite, () => AttError.unlikelyError) : normalizeWrite(r);
  }

  private prepareWrite(handle: number, offset: number, value: Buffer): Buffer {
    const op = AttOp.prepareWriteReq;
    const a = this.db.get(handle);
    if (!a) return errorRsp(op, handle, AttError.invalidHandle);
    const denied = this.writable(a, true);
    if (denied) return errorRsp(op, handle, denied);
    if (this.prepared.length >= MAX_PREPARED_WRITES) return errorRsp(op, handle, AttError.prepareQueueFull);
    this.prepared.push({ handle, offset, value });
    return prepareWriteRsp(handle, offset, value);
  }

  private executeWrite(flags: number): Promise<void> | void {
    const queue = this.prepared.splice(0);
    const ok = Buffer.from([AttOp.executeWriteRsp]);
    if (flags === 0) return this.reply(ok);
    // Join each handle's parts; they must be contiguous from offset 0.
    const joined = new Map<number, Buffer>();
    for (const p of queue) {
      const have = joined.get(p.handle) ?? Buffer.alloc(0);
      if (p.offset !== have.length) {
        return this.reply(errorRsp(AttOp.executeWriteReq, p.handle, AttError.invalidOffset));
      }
      joined.set(p.handle, Buffer.concat([have, p.value]));
    }
    const items = [...joined];
    const next = (i: number): Promise<void> | void => {
      for (; i < items.length; i++) {
        const [handle, value] = items[i];
        const a = this.db.get(handle) as Attribute;
        const r = this.applyWrite(a, value, true);
        if (r instanceof Promise) {
          return r.then((err) => {
            if (err) return this.reply(errorRsp(AttOp.executeWriteReq, handle, err));
            return next(i + 1);
          });
        }
        if (r) return this.reply(errorRsp(AttOp.executeWriteReq, handle, r));
      }
      this.reply(ok);
    };
    return next(0);
  }

  subscription(char: CharacteristicRecord): Subscription {
    const bits = char.cccdHandle === null ? 0 : (this.cccd.get(char.cccdHandle) ?? 0);
    return { notify: (bits & 1) !== 0, indicate: (bits & 2) !== 0 };
  }

  /** Sends a notification if the central enabled them; false otherwise. */
  notify(char: CharacteristicRecord, value: Uint8Array): boolean {
    if (this.closed || !this.subscription(char).notify) return false;
    checkAttValueLength(value, this.mtu);
    this.send(handleValue(AttOp.notification, char.valueHandle, value));
    return true;
  }

  /** Resolves on the central's confirmation; rejects if indications are off or the link goes down. */
  indicate(char: CharacteristicRecord, value: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new Error('not connected'));
    if (!this.subscription(char).indicate) {
      return Promise.reject(new Error(`central has not enabled indications on ${char.uuid.key}`));
    }
    checkAttValueLength(value, this.mtu);
    return this.indications.push(handleValue(AttOp.indication, char.valueHandle, value));
  }

  /** The link is gone: pending indications fail, state is dropped. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.indications.close(reason);
    this.inbox.length = 0;
  }
}

type WriteOutcome = number | void | Promise<number | void>;

function normalizeRead(r: Uint8Array | number): Buffer | number {
  return typeof r === 'number' ? r : Buffer.from(r.buffer, r.byteOffset, r.length);
}

function normalizeWrite(r: number | void): number | void {
  return typeof r === 'number' && r !== 0 ? r : undefined;
}
