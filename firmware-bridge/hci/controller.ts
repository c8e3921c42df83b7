// A virtual BLE controller speaking HCI H4 over a pty, like a Zephyr/nRF "hci_uart" dongle, so that
// noble's UART HCI driver runs unmodified on top of it. It answers noble's init (spec E.3/E.7), scans
// (advertising reports + scan responses), connects, and carries L2CAP (ATT, signaling, SMP) per link
// to the peripherals added with addPeripheral().
import { EventEmitter } from 'node:events';
import { normalizeAddress } from './address.ts';
import { runCommand, type CommandContext } from './commands.ts';
import { LinkTable, createOutcome, type LinkState, type PendingCreate } from './connections.ts';
import { commandComplete, commandStatus, disconnectionComplete, numberOfCompletedPackets } from './events.ts';
import type { H4Packet } from './h4.ts';
import { DEFAULT_BAUD_RATE, H4Link } from './h4-link.ts';
import { Op, Status } from './hci-constants.ts';
import { Cid, fragmentL2cap } from './l2cap.ts';
import { VirtualPeripheral, type PeripheralLink, type PeripheralOptions } from './peripheral.ts';
import { createPtyPair, type PtyPair } from './pty.ts';
import { Scanner } from './scanner.ts';
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

/** How the controller end of the pty was opened. */
interface Port {
  link: H4Link;
  /** the socat pair, when the controller made one */
  pty: PtyPair | null;
  hostPath: string;
  baudRate: number;
}

export class VirtualController extends EventEmitter<ControllerEvents> implements PeripheralLink {
  readonly address: string;
  readonly aclBufferLength: number;
  readonly aclBufferCount: number;
  readonly hostPath: string;
  private readonly link: H4Link;
  private readonly pty: PtyPair | null;
  private readonly baudRate: number;
  private readonly opts: ControllerOptions;
  private readonly peripheralSet = new Set<VirtualPeripheral>();
  private readonly links = new LinkTable();
  private readonly scanner: Scanner;
  /** what the HCI command handlers (commands.ts) act on */
  private readonly commands: CommandContext;
  private pendingCreate: PendingCreate | null = null;
  private closed = false;
  /** the last port error nobody listened for */
  lastError: Error | null = null;
  /** statistics */
  readonly stats = { commands: 0, aclIn: 0, aclOut: 0, nocp: 0 };

  private constructor(port: Port, opts: ControllerOptions) {
    super();
    this.link = port.link;
    this.pty = port.pty;
    this.hostPath = port.hostPath;
    this.baudRate = port.baudRate;
    this.opts = opts;
    this.address = normalizeAddress(opts.address ?? 'ff:ee:dd:cc:bb:aa');
    this.aclBufferLength = opts.aclBufferLength ?? 251;
    this.aclBufferCount = opts.aclBufferCount ?? 8;
    if (this.aclBufferLength < 27 || this.aclBufferLength > 0xffff)
      throw new RangeError('aclBufferLength 27..65535');
    if (this.aclBufferCount < 1 || this.aclBufferCount > 255) throw new RangeError('aclBufferCount 1..255');
    this.scanner = new Scanner(
      {
        send: (packet) => this.send(packet),
        peripherals: () => this.peripheralSet,
        onScan: (enabled) => this.emit('scan', enabled),
        isClosed: () => this.closed,
      },
      opts.advertisingIntervalMs ?? 100,
    );
    this.commands = this.commandContext();
    this.link.on('packets', (packets) => this.onPackets(packets));
    // a simulator whose host end went away must not take the test process down with it: without a listener the
    // error is kept for inspection instead of thrown
    this.link.on('error', (e) => {
      if (this.listenerCount('error') > 0) this.emit('error', e);
      else this.lastError = e;
    });
  }

  /** Creates the pty pair (unless opts.port is given) and opens the controller end. */
  static async start(opts: ControllerOptions = {}): Promise<VirtualController> {
    const baudRate = opts.baudRate ?? DEFAULT_BAUD_RATE;
    if (opts.port) {
      const link = await H4Link.open(opts.port, baudRate);
      return new VirtualController({ link, pty: null, hostPath: '', baudRate }, opts);
    }
    const pty = await createPtyPair();
    try {
      const link = await H4Link.open(pty.controllerPath, baudRate);
      return new VirtualController({ link, pty, hostPath: pty.hostPath, baudRate }, opts);
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
    return this.scanner.enabled;
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
    this.scanner.forget(p.address);
  }

  advertisingChanged(p: VirtualPeripheral): void {
    this.scanner.forget(p.address);
    if (!p.isAdvertising) return;
    setImmediate(() => {
      this.tryCompleteCreate();
      if (this.scanner.enabled) this.scanner.advertise();
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
    const counts = this.links.takeCompleted();
    if (counts.length > 0) {
      this.stats.nocp++;
      this.send(numberOfCompletedPackets(counts));
    }
  }

  private send(packet: Buffer): void {
    this.opts.trace?.('out', packet);
    this.link.write(packet);
  }

  private onCommand(opcode: number, params: Buffer): void {
    this.stats.commands++;
    this.emit('command', opcode, params);
    runCommand(this.commands, opcode, params);
  }

  private commandContext(): CommandContext {
    return {
      config: {
        address: this.address,
        aclBufferLength: this.aclBufferLength,
        aclBufferCount: this.aclBufferCount,
        dle: this.opts.dataLengthExtension ?? false,
        extended: this.opts.extendedAdvertising ?? false,
      },
      scanner: this.scanner,
      links: this.links,
      complete: (opcode, status = Status.success, ret) => this.send(commandComplete(opcode, status, ret)),
      status: (opcode, status) => this.send(commandStatus(opcode, status)),
      send: (packet) => this.send(packet),
      reset: () => this.reset(),
      createConnection: (opcode, pc) => this.createConnection(opcode, pc),
      cancelCreate: () => this.cancelCreate(),
      // The host sees "terminated by local host"; the peripheral gets the reason the host sent.
      disconnect: (l, reason) => this.endLink(l, Status.localHostTerminated, reason),
    };
  }

  private reset(): void {
    // A reset drops links without Disconnection Complete, stops scanning and initiating.
    for (const l of this.links.all()) this.endLink(l, null, Status.connectionTimeout);
    this.scanner.stop();
    this.pendingCreate = null;
    this.links.reset();
    this.emit('reset');
  }

  // ---- connections ----------------------------------------------------------------------------

  private createConnection(opcode: number, pc: PendingCreate): void {
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
    const { handle, att } = this.links.open(p, (h, pdu) => this.sendL2cap(h, Cid.att, pdu));
    p.connection = { handle, att, centralAddress: this.address };
    this.scanner.forget(p.address);
    this.send(createOutcome(pc, Status.success, handle));
    p.emit('advertising', false);
    p.emit('connect', { connectionHandle: handle, centralAddress: this.address });
  }

  private cancelCreate(): void {
    const pc = this.pendingCreate;
    if (!pc) return this.send(commandComplete(Op.leCreateConnectionCancel, Status.commandDisallowed));
    this.pendingCreate = null;
    this.send(commandComplete(Op.leCreateConnectionCancel, Status.success));
    // The initiator reports the cancelled attempt as a failed connection, status 0x02.
    this.send(createOutcome(pc, Status.unknownConnectionId, null));
  }

  /** reasonToHost null: no event (HCI Reset). */
  private endLink(l: LinkState, reasonToHost: number | null, reasonToPeripheral: number): void {
    if (!this.links.remove(l)) return;
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
    this.links.received(handle);
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
    for (const l of this.links.all()) this.endLink(l, null, Status.connectionTimeout);
    this.scanner.stop();
    await this.link.close();
    await this.pty?.close();
  }
}
