// A virtual BLE controller speaking HCI H4 over a pty, like a Zephyr/nRF "hci_uart" dongle, so that
// noble's UART HCI driver runs unmodified on top of it. It answers noble's init (spec E.3/E.7), scans
// (advertising reports + scan responses), connects, and carries L2CAP (ATT, signaling, SMP) per link
// to the peripherals added with addPeripheral().
import { EventEmitter } from 'node:events';
import { normalizeAddress, addressFromBytes, addressToBytes } from './address.ts';
import { AttServer } from './att-server.ts';
import {
  AdvType,
  ExtAdvBits,
  commandComplete,
  commandStatus,
  disconnectionComplete,
  leAdvertisingReport,
  leConnectionComplete,
  leConnectionUpdateComplete,
  leDataLengthChange,
  leEnhancedConnectionComplete,
  leExtendedAdvertisingReport,
  numberOfCompletedPackets,
} from './events.ts';
import type { H4Packet } from './h4.ts';
import { DEFAULT_BAUD_RATE, H4Link } from './h4-link.ts';
import { Op, Status } from './hci-constants.ts';
import { Cid, L2capReassembler, fragmentL2cap } from './l2cap.ts';
import { VirtualPeripheral, type PeripheralLink, type PeripheralOptions } from './peripheral.ts';
import { createPtyPair, type PtyPair } from './pty.ts';
import { signalingReply } from './signaling.ts';
import { smpReply } from './smp.ts';

export interface ControllerOptions {
  /** the controller's public BD_ADDR (noble.address), default ff:ee:dd:cc:bb:aa */
  address?: string;
  /** LE ACL data packet length reported by LE Read Buffer Size (default 251, Zephyr with DLE) */
  aclBufferLength?: number;
  /** LE ACL buffers reported to the host: noble's credits, returned by Number Of Completed Packets (default 8) */
  aclBufferCount?: number;
  /** advertise LE Data Packet Length Extension (noble then sends LE Set Data Length per link) */
  dataLengthExtension?: boolean;
  /** advertise LE Extended Advertising: noble switches to extended scan/create-connection commands */
  extendedAdvertising?: boolean;
  /** how often an advertising peripheral is re-reported while duplicates are allowed (default 100 ms) */
  advertisingIntervalMs?: number;
  /** open this serial path instead of creating a socat pty pair (hostPath is then unknown) */
  port?: string;
  baudRate?: number;
  /** optional trace of every packet, for debugging */
  trace?: (direction: 'in' | 'out', packet: Buffer | H4Packet) => void;
}

export interface NobleHciOptions {
  hciDriver: 'uart';
  bindParams: { uart: { port: string; baudRate: number } };
}

export interface ControllerEvents {
  /** every HCI command received (opcode, parameters) */
  command: [opcode: number, params: Buffer];
  reset: [];
  scan: [enabled: boolean];
  error: [err: Error];
}

interface LinkState {
  handle: number;
  peripheral: VirtualPeripheral;
  att: AttServer;
  reassembler: L2capReassembler;
}

interface PendingCreate {
  address: string;
  addressType: 'public' | 'random';
  interval: number;
  latency: number;
  timeout: number;
  enhanced: boolean;
}

const FIRST_HANDLE = 0x0040;

export class VirtualController extends EventEmitter<ControllerEvents> implements PeripheralLink {
  readonly address: string;
  readonly aclBufferLength: number;
  readonly aclBufferCount: number;
  private readonly dle: boolean;
  private readonly extended: boolean;
  private readonly advIntervalMs: number;
  private readonly peripheralSet = new Set<VirtualPeripheral>();
  private readonly links = new Map<number, LinkState>();
  private nextHandle = FIRST_HANDLE;
  private scan: { enabled: boolean; filterDuplicates: boolean; extended: boolean } = {
    enabled: false,
    filterDuplicates: true,
    extended: false,
  };
  private readonly reported = new Set<string>();
  private advTimer: NodeJS.Timeout | null = null;
  private pendingCreate: PendingCreate | null = null;
  private closed = false;
  /** the last port error nobody listened for */
  lastError: Error | null = null;
  /** LE ACL packets received from the host, per handle, not yet acknowledged with NOCP */
  private readonly completed = new Map<number, number>();
  /** statistics */
  readonly stats = { commands: 0, aclIn: 0, aclOut: 0, nocp: 0 };

  private constructor(
    private readonly link: H4Link,
    private readonly pty: PtyPair | null,
    readonly hostPath: string,
    private readonly baudRate: number,
    private readonly opts: ControllerOptions,
  ) {
    super();
    this.address = normalizeAddress(opts.address ?? 'ff:ee:dd:cc:bb:aa');
    this.aclBufferLength = opts.aclBufferLength ?? 251;
    this.aclBufferCount = opts.aclBufferCount ?? 8;
    if (this.aclBufferLength < 27 || this.aclBufferLength > 0xffff)
      throw new RangeError('aclBufferLength 27..65535');
    if (this.aclBufferCount < 1 || this.aclBufferCount > 255) throw new RangeError('aclBufferCount 1..255');
    this.dle = opts.dataLengthExtension ?? false;
    this.extended = opts.extendedAdvertising ?? false;
    this.advIntervalMs = opts.advertisingIntervalMs ?? 100;
    link.on('packets', (packets) => this.onPackets(packets));
    // a simulator whose host end went away must not take the test process down with it: without a listener the
    // error is kept for inspection instead of thrown
    link.on('error', (e) => {
      if (this.listenerCount('error') > 0) this.emit('error', e);
      else this.lastError = e;
    });
  }

  /** Creates the pty pair (unless opts.port is given) and opens the controller end. */
  static async start(opts: ControllerOptions = {}): Promise<VirtualController> {
    const baudRate = opts.baudRate ?? DEFAULT_BAUD_RATE;
    if (opts.port) {
      const link = await H4Link.open(opts.port, baudRate);
      return new VirtualController(link, null, '', baudRate, opts);
    }
    const pty = await createPtyPair();
    try {
      const link = await H4Link.open(pty.controllerPath, baudRate);
      return new VirtualController(link, pty, pty.hostPath, baudRate, opts);
    } catch (e) {
      await pty.close();
      throw e;
    }
  }

  /** Options for `withBindings('hci', ...)` of @stoprocent/noble. */
  nobleOptions(): NobleHciOptions {
    return { hciDriver: 'uart', bindParams: { uart: { port: this.hostPath, baudRate: this.baudRate } } };
  }

  get peripherals(): VirtualPeripheral[] {
    return [...this.peripheralSet];
  }

  get isScanning(): boolean {
    return this.scan.enabled;
  }

  /** Bytes written towards the host so far (for throughput figures). */
  get bytesOut(): number {
    return this.link.bytesOut;
  }

  addPeripheral(opts: PeripheralOptions): VirtualPeripheral {
    const address = normalizeAddress(opts.address);
    if (address === this.address) throw new Error(`${address} is the controller's own address`);
    for (const p of this.peripheralSet) {
      if (p.address === address) throw new Error(`a peripheral with address ${address} already exists`);
    }
    const p = new VirtualPeripheral(opts, this);
    this.peripheralSet.add(p);
    this.advertisingChanged(p);
    return p;
  }

  // ---- PeripheralLink -------------------------------------------------------------------------

  removePeripheral(p: VirtualPeripheral): void {
    this.peripheralSet.delete(p);
    this.reported.delete(p.address);
  }

  advertisingChanged(p: VirtualPeripheral): void {
    this.reported.delete(p.address);
    if (!p.isAdvertising) return;
    setImmediate(() => {
      this.tryCompleteCreate();
      if (this.scan.enabled) this.advertise();
    });
  }

  terminate(p: VirtualPeripheral, reasonToHost: number): void {
    const l = p.connection && this.links.get(p.connection.handle);
    if (l)
      this.endLink(
        l,
        reasonToHost,
        reasonToHost === Status.connectionTimeout ? reasonToHost : Status.localHostTerminated,
      );
  }

  whenWritable(): Promise<void> {
    return this.link.whenWritable();
  }

  // ---- input ----------------------------------------------------------------------------------

  private onPackets(packets: H4Packet[]): void {
    for (const p of packets) {
      this.opts.trace?.('in', p);
      try {
        if (p.type === 'command') this.onCommand(p.opcode, p.params);
        else if (p.type === 'acl') this.onAcl(p.handle, p.pb, p.data);
        // events from the host are meaningless; ignore them
      } catch (e) {
        this.emit('error', e instanceof Error ? e : new Error(String(e)));
      }
    }
    if (this.completed.size > 0) {
      const counts = [...this.completed].map(([handle, count]) => ({ handle, count }));
      this.completed.clear();
      this.stats.nocp++;
      this.send(numberOfCompletedPackets(counts));
    }
  }

  private send(packet: Buffer): void {
    this.opts.trace?.('out', packet);
    this.link.write(packet);
  }

  private complete(opcode: number, status: number = Status.success, ret?: Uint8Array): void {
    this.send(commandComplete(opcode, status, ret));
  }

  private onCommand(opcode: number, params: Buffer): void {
    this.stats.commands++;
    this.emit('command', opcode, params);
    switch (opcode) {
      case Op.reset:
        this.reset();
        return this.complete(opcode);
      case Op.setEventMask:
      case Op.leSetEventMask:
      case Op.writeLeHostSupported:
      case Op.setEventFilter:
      case Op.leSetRandomAddress:
      case Op.leSetDefaultPhy:
        return this.complete(opcode);
      case Op.readLeHostSupported:
        return this.complete(opcode, Status.success, Buffer.from([0x01, 0x00]));
      case Op.readLocalVersion:
        // HCI 5.0 (0x09), revision 0, LMP 5.0, manufacturer 0x05F1 (The Linux Foundation, i.e. Zephyr)
        return this.complete(
          opcode,
          Status.success,
          Buffer.from([0x09, 0x00, 0x00, 0x09, 0xf1, 0x05, 0x00, 0x00]),
        );
      case Op.readSupportedCommands: {
        const cmds = Buffer.alloc(64);
        if (this.extended) cmds[37] |= 0x30;
        return this.complete(opcode, Status.success, cmds);
      }
      case Op.readLocalFeatures: {
        const f = Buffer.alloc(8);
        f[4] = 0x60; // LE supported (controller), BR/EDR not supported
        return this.complete(opcode, Status.success, f);
      }
      case Op.readBufferSize: {
        const r = Buffer.alloc(7);
        r.writeUInt16LE(this.aclBufferLength, 0);
        r.writeUInt16LE(this.aclBufferCount, 3);
        return this.complete(opcode, Status.success, r);
      }
      case Op.readBdAddr:
        return this.complete(opcode, Status.success, addressToBytes(this.address));
      case Op.leReadBufferSize: {
        const r = Buffer.alloc(3);
        r.writeUInt16LE(this.aclBufferLength, 0);
        r[2] = this.aclBufferCount;
        return this.complete(opcode, Status.success, r);
      }
      case Op.leReadLocalFeatures: {
        const f = Buffer.alloc(8);
        if (this.dle) f[0] |= 0x20;
        if (this.extended) f[1] |= 0x10;
        return this.complete(opcode, Status.success, f);
      }
      case Op.leReadMaxDataLength: {
        const r = Buffer.alloc(8);
        r.writeUInt16LE(251, 0);
        r.writeUInt16LE(2120, 2);
        r.writeUInt16LE(251, 4);
        r.writeUInt16LE(2120, 6);
        return this.dle
          ? this.complete(opcode, Status.success, r)
          : this.complete(opcode, Status.unknownCommand);
      }
      case Op.leSetDataLength:
        return this.setDataLength(params);
      case Op.leSetScanParameters:
      case Op.leSetExtendedScanParameters:
        if (opcode === Op.leSetExtendedScanParameters && !this.extended)
          return this.complete(opcode, Status.unknownCommand);
        return this.complete(opcode, this.scan.enabled ? Status.commandDisallowed : Status.success);
      case Op.leSetScanEnable:
      case Op.leSetExtendedScanEnable:
        if (opcode === Op.leSetExtendedScanEnable && !this.extended)
          return this.complete(opcode, Status.unknownCommand);
        if (params.length < 2) return this.complete(opcode, Status.invalidParameters);
        return this.setScanEnable(
          opcode,
          params[0] === 1,
          params[1] === 1,
          opcode === Op.leSetExtendedScanEnable,
        );
      case Op.leCreateConnection:
        return this.createConnection(opcode, params, false);
      case Op.leExtendedCreateConnection:
        if (!this.extended) return this.send(commandStatus(opcode, Status.unknownCommand));
        return this.createConnection(opcode, params, true);
      case Op.leCreateConnectionCancel:
        return this.cancelCreate();
      case Op.disconnect:
        return this.disconnectCommand(params);
      case Op.readRssi: {
        const handle = params.length >= 2 ? params.readUInt16LE(0) : -1;
        const l = this.links.get(handle);
        const r = Buffer.alloc(3);
        r.writeUInt16LE(Math.max(handle, 0), 0);
        r.writeInt8(l ? l.peripheral.rssi : 0, 2);
        return this.complete(opcode, l ? Status.success : Status.unknownConnectionId, r);
      }
      case Op.leConnectionUpdate: {
        const handle = params.length >= 14 ? params.readUInt16LE(0) : -1;
        if (!this.links.has(handle)) return this.send(commandStatus(opcode, Status.unknownConnectionId));
        this.send(commandStatus(opcode, Status.success));
        return this.send(
          leConnectionUpdateComplete(
            handle,
            params.readUInt16LE(4),
            params.readUInt16LE(6),
            params.readUInt16LE(8),
          ),
        );
      }
      case Op.leSetPhy:
        return this.send(commandStatus(opcode, Status.unsupportedFeature));
      case Op.leStartEncryption:
        // No pairing (SMP answers "pairing not supported"), so there is no key to encrypt with.
        return this.send(commandStatus(opcode, Status.unsupportedRemoteFeature));
      default:
        return this.complete(opcode, Status.unknownCommand);
    }
  }

  private reset(): void {
    // A reset drops links without Disconnection Complete, stops scanning and initiating.
    for (const l of [...this.links.values()]) this.endLink(l, null, Status.connectionTimeout);
    this.stopScan();
    this.pendingCreate = null;
    this.completed.clear();
    this.nextHandle = FIRST_HANDLE;
    this.emit('reset');
  }

  // ---- scanning -------------------------------------------------------------------------------

  private setScanEnable(opcode: number, enable: boolean, filterDuplicates: boolean, extended: boolean): void {
    this.complete(opcode);
    if (!enable) {
      this.stopScan();
      return;
    }
    const wasEnabled = this.scan.enabled;
    this.scan = { enabled: true, filterDuplicates, extended };
    if (!wasEnabled) {
      this.reported.clear();
      this.emit('scan', true);
      this.advTimer = setInterval(() => this.advertise(), this.advIntervalMs);
      this.advTimer.unref();
    }
    // Reports only after the Command Complete (spec E.8); it is already queued ahead of them.
    setImmediate(() => this.advertise());
  }

  private stopScan(): void {
    if (this.advTimer) clearInterval(this.advTimer);
    this.advTimer = null;
    if (this.scan.enabled) {
      this.scan = { ...this.scan, enabled: false };
      this.emit('scan', false);
    }
  }

  /** One advertising event per advertising peripheral: ADV_IND (+ SCAN_RSP, scanning is active). */
  private advertise(): void {
    if (!this.scan.enabled || this.closed) return;
    for (const p of this.peripheralSet) {
      if (!p.isAdvertising) continue;
      if (this.scan.filterDuplicates && this.reported.has(p.address)) continue;
      this.reported.add(p.address);
      if (this.scan.extended) {
        const base = ExtAdvBits.legacy | (p.connectable ? ExtAdvBits.connectable | ExtAdvBits.scannable : 0);
        this.send(leExtendedAdvertisingReport(base, p.addressType, p.address, p.advData, p.rssi));
        if (p.connectable) {
          this.send(
            leExtendedAdvertisingReport(
              base | ExtAdvBits.scanResponse,
              p.addressType,
              p.address,
              p.scanRspData,
              p.rssi,
            ),
          );
        }
      } else {
        const type = p.connectable ? AdvType.advInd : AdvType.advNonconnInd;
        this.send(leAdvertisingReport(type, p.addressType, p.address, p.advData, p.rssi));
        if (p.connectable)
          this.send(leAdvertisingReport(AdvType.scanRsp, p.addressType, p.address, p.scanRspData, p.rssi));
      }
    }
  }

  // ---- connections ----------------------------------------------------------------------------

  private createConnection(opcode: number, params: Buffer, extended: boolean): void {
    let pc: PendingCreate;
    if (extended) {
      // filter, own type, peer type, peer address, PHYs, then per PHY: scan int/win, min, max, latency, timeout, CE
      if (params.length < 26) return this.send(commandStatus(opcode, Status.invalidParameters));
      pc = {
        addressType: params[2] === 1 ? 'random' : 'public',
        address: addressFromBytes(params.subarray(3, 9)),
        interval: params.readUInt16LE(16),
        latency: params.readUInt16LE(18),
        timeout: params.readUInt16LE(20),
        enhanced: true,
      };
    } else {
      if (params.length !== 25) return this.send(commandStatus(opcode, Status.invalidParameters));
      pc = {
        addressType: params[5] === 1 ? 'random' : 'public',
        address: addressFromBytes(params.subarray(6, 12)),
        interval: params.readUInt16LE(15),
        latency: params.readUInt16LE(17),
        timeout: params.readUInt16LE(19),
        enhanced: false,
      };
    }
    if (this.pendingCreate) return this.send(commandStatus(opcode, Status.commandDisallowed));
    this.pendingCreate = pc;
    this.send(commandStatus(opcode, Status.success));
    // Like a real initiator it waits (until cancelled) for the peer to advertise.
    setImmediate(() => this.tryCompleteCreate());
  }

  private tryCompleteCreate(): void {
    const pc = this.pendingCreate;
    if (!pc || this.closed) return;
    const p = [...this.peripheralSet].find(
      (x) => x.address === pc.address && x.addressType === pc.addressType && x.isAdvertising && x.connectable,
    );
    if (!p) return;
    this.pendingCreate = null;
    const handle = this.allocateHandle();
    const att = new AttServer(p.gatt, handle, p.serverMtu, (pdu) => this.sendL2cap(handle, Cid.att, pdu));
    att.unresponsive = p.isUnresponsive;
    att.on('mtu', (m) => p.emit('mtu', m));
    att.on('subscribe', (c, s) => p.emit('subscribe', c.uuid.key, s));
    this.links.set(handle, { handle, peripheral: p, att, reassembler: new L2capReassembler() });
    p.connection = { handle, att, centralAddress: this.address };
    this.reported.delete(p.address);
    const fields = {
      status: Status.success,
      handle,
      role: 0,
      peerAddressType: p.addressType,
      peerAddress: p.address,
      interval: pc.interval,
      latency: pc.latency,
      supervisionTimeout: pc.timeout,
    };
    this.send(pc.enhanced ? leEnhancedConnectionComplete(fields) : leConnectionComplete(fields));
    p.emit('advertising', false);
    p.emit('connect', { connectionHandle: handle, centralAddress: this.address });
  }

  private allocateHandle(): number {
    for (;;) {
      const h = this.nextHandle;
      this.nextHandle = h >= 0x0eff ? FIRST_HANDLE : h + 1;
      if (!this.links.has(h)) return h;
    }
  }

  private cancelCreate(): void {
    const pc = this.pendingCreate;
    if (!pc) return this.complete(Op.leCreateConnectionCancel, Status.commandDisallowed);
    this.pendingCreate = null;
    this.complete(Op.leCreateConnectionCancel);
    // The initiator reports the cancelled attempt as a failed connection, status 0x02.
    const fields = {
      status: Status.unknownConnectionId,
      handle: 0,
      role: 0,
      peerAddressType: pc.addressType,
      peerAddress: pc.address,
      interval: 0,
      latency: 0,
      supervisionTimeout: 0,
    };
    this.send(pc.enhanced ? leEnhancedConnectionComplete(fields) : leConnectionComplete(fields));
  }

  private disconnectCommand(params: Buffer): void {
    const handle = params.length >= 3 ? params.readUInt16LE(0) : -1;
    const l = this.links.get(handle);
    if (!l) return this.send(commandStatus(Op.disconnect, Status.unknownConnectionId));
    this.send(commandStatus(Op.disconnect, Status.success));
    // The host sees "terminated by local host"; the peripheral gets the reason the host sent.
    this.endLink(l, Status.localHostTerminated, params[2]);
  }

  private setDataLength(params: Buffer): void {
    const handle = params.length >= 6 ? params.readUInt16LE(0) : -1;
    const r = Buffer.alloc(2);
    r.writeUInt16LE(Math.max(handle, 0), 0);
    if (!this.links.has(handle)) return this.complete(Op.leSetDataLength, Status.unknownConnectionId, r);
    this.complete(Op.leSetDataLength, Status.success, r);
    this.send(
      leDataLengthChange(
        handle,
        Math.min(params.readUInt16LE(2), 251),
        Math.min(params.readUInt16LE(4), 2120),
      ),
    );
  }

  /** reasonToHost null: no event (HCI Reset). */
  private endLink(l: LinkState, reasonToHost: number | null, reasonToPeripheral: number): void {
    if (this.links.get(l.handle) !== l) return;
    this.links.delete(l.handle);
    this.completed.delete(l.handle);
    l.att.close(`reason 0x${reasonToPeripheral.toString(16)}`);
    l.peripheral.connection = null;
    if (reasonToHost !== null) this.send(disconnectionComplete(l.handle, reasonToHost));
    l.peripheral.emit('disconnect', { connectionHandle: l.handle, reason: reasonToPeripheral });
    this.advertisingChanged(l.peripheral);
    if (l.peripheral.isAdvertising) l.peripheral.emit('advertising', true);
  }

  // ---- ACL / L2CAP ----------------------------------------------------------------------------

  private onAcl(handle: number, pb: number, data: Buffer): void {
    this.stats.aclIn++;
    const l = this.links.get(handle);
    if (!l) return;
    this.completed.set(handle, (this.completed.get(handle) ?? 0) + 1);
    for (const frame of l.reassembler.push(pb, data)) {
      if (frame.cid === Cid.att) l.att.receive(frame.payload);
      else if (frame.cid === Cid.signaling) {
        const r = signalingReply(frame.payload);
        if (r) this.sendL2cap(handle, Cid.signaling, r);
      } else if (frame.cid === Cid.smp) {
        const r = smpReply(frame.payload);
        if (r) this.sendL2cap(handle, Cid.smp, r);
      }
    }
  }

  private sendL2cap(handle: number, cid: number, payload: Buffer): void {
    if (!this.links.has(handle)) return;
    for (const acl of fragmentL2cap(handle, cid, payload, this.aclBufferLength)) {
      this.stats.aclOut++;
      this.send(acl);
    }
  }

  /** Stops everything: links (silently), scanning, the port and socat. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const l of [...this.links.values()]) this.endLink(l, null, Status.connectionTimeout);
    this.stopScan();
    await this.link.close();
    await this.pty?.close();
  }
}
