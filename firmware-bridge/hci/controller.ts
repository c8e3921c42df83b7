// A virtual BLE controller speaking HCI H4 over a pty, like a Zephyr/nRF "hci_uart" dongle, so that
// noble's UART HCI driver runs unmodified on top of it. It answers noble's init (spec E.3/E.7), scans
// (advertising reports + scan responses), connects, and carries L2CAP (ATT, signaling, SMP) per link
// to the peripherals added with addPeripheral(). On a VirtualRadio it also links to other controllers: its host
// may scan and connect to their hosts' advertising (central role), or advertise itself (peripheral role).
import { EventEmitter } from 'node:events';
import { normalizeAddress } from './address.ts';
import { runCommand, type CommandContext, type ControllerConfig } from './commands.ts';
import { commandComplete, commandStatus, numberOfCompletedPackets } from './events.ts';
import type { H4Packet } from './h4.ts';
import { DEFAULT_BAUD_RATE, H4Link } from './h4-link.ts';
import { Status } from './hci-constants.ts';
import { HostAdvertiser } from './host-advertising.ts';
import { LinkManager } from './link-manager.ts';
import { VirtualPeripheral, type PeripheralLink, type PeripheralOptions } from './peripheral.ts';
import { createPtyPair, type PtyPair } from './pty.ts';
import type { Advertiser, ConnectionParameters, RadioLinkEnd, RadioNode, VirtualRadio } from './radio.ts';
import { Scanner } from './scanner.ts';

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
  /** the air shared with other controllers (radio.ts): their hosts' advertising and links */
  radio?: VirtualRadio;
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

export class VirtualController extends EventEmitter<ControllerEvents> implements PeripheralLink, RadioNode {
  readonly aclBufferLength: number;
  readonly aclBufferCount: number;
  readonly hostPath: string;
  private readonly link: H4Link;
  private readonly pty: PtyPair | null;
  private readonly baudRate: number;
  private readonly opts: ControllerOptions;
  private readonly peripheralSet = new Set<VirtualPeripheral>();
  private readonly links: LinkManager;
  private readonly scanner: Scanner;
  private readonly config: ControllerConfig;
  private readonly radio: VirtualRadio | null;
  /** the advertising this controller's host sets up (peripheral role, on the radio) */
  readonly advertiser: HostAdvertiser;
  /** what the HCI command handlers (commands.ts) act on */
  private readonly commands: CommandContext;
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
    this.radio = opts.radio ?? null;
    const address = normalizeAddress(opts.address ?? 'ff:ee:dd:cc:bb:aa');
    this.advertiser = new HostAdvertiser(address);
    this.aclBufferLength = opts.aclBufferLength ?? 251;
    this.aclBufferCount = opts.aclBufferCount ?? 8;
    if (this.aclBufferLength < 27 || this.aclBufferLength > 0xffff)
      throw new RangeError('aclBufferLength 27..65535');
    if (this.aclBufferCount < 1 || this.aclBufferCount > 255) throw new RangeError('aclBufferCount 1..255');
    this.config = {
      address,
      aclBufferLength: this.aclBufferLength,
      aclBufferCount: this.aclBufferCount,
      dle: opts.dataLengthExtension ?? false,
      extended: opts.extendedAdvertising ?? false,
    };
    this.scanner = new Scanner(
      {
        send: (packet) => this.send(packet),
        advertisers: () => this.onAir(),
        onScan: (enabled) => this.emit('scan', enabled),
        isClosed: () => this.closed,
      },
      opts.advertisingIntervalMs ?? 100,
    );
    this.links = this.linkManager();
    this.commands = this.commandContext();
    this.link.on('packets', (packets) => this.onPackets(packets));
    // a simulator whose host end went away must not take the test process down with it: without a listener the
    // error is kept for inspection instead of thrown
    this.link.on('error', (e) => {
      if (this.listenerCount('error') > 0) this.emit('error', e);
      else this.lastError = e;
    });
    this.radio?.join(this);
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

  /** the public BD_ADDR (Read BD_ADDR; the vendor Write BD_ADDR changes it) */
  get address(): string {
    return this.config.address;
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
      this.links.tryCompleteCreate();
      if (this.scanner.enabled) this.scanner.advertise();
    });
  }

  terminate(p: VirtualPeripheral, reasonToHost: number): void {
    const l = p.connection && this.links.table.get(p.connection.handle);
    if (l)
      this.links.endLink(
        l,
        reasonToHost,
        reasonToHost === Status.connectionTimeout ? reasonToHost : Status.localHostTerminated,
      );
  }

  whenWritable(): Promise<void> {
    return this.link.whenWritable();
  }

  // ---- RadioNode ------------------------------------------------------------------------------

  /** What a scan hears: this controller's peripherals and the other controllers' advertising. */
  private onAir(): Advertiser[] {
    return [...this.peripheralSet, ...(this.radio?.advertisers(this) ?? [])];
  }

  airChanged(address: string): void {
    if (this.closed) return;
    this.scanner.forget(address);
    this.links.tryCompleteCreate();
    if (this.scanner.enabled) this.scanner.advertise();
  }

  acceptRadioLink(end: RadioLinkEnd, params: ConnectionParameters): void {
    this.links.acceptRadioLink(end, params);
  }

  /** The air loses every radio link: both hosts hear a supervision timeout (0x08), as out of range. */
  dropRadioLinks(): void {
    this.links.dropRadioLinks();
  }

  private linkManager(): LinkManager {
    return new LinkManager({
      node: this,
      radio: this.radio,
      advertiser: this.advertiser,
      aclBufferLength: this.aclBufferLength,
      stats: this.stats,
      address: () => this.address,
      peripherals: () => this.peripheralSet,
      send: (packet) => this.send(packet),
      isClosed: () => this.closed,
      forget: (address) => this.scanner.forget(address),
      peripheralAdvertisingChanged: (p) => this.advertisingChanged(p),
    });
  }

  // ---- input ----------------------------------------------------------------------------------

  private onPackets(packets: H4Packet[]): void {
    for (const p of packets) {
      this.opts.trace?.('in', p);
      try {
        if (p.type === 'command') this.onCommand(p.opcode, p.params);
        else if (p.type === 'acl') this.links.onAcl(p.handle, p.pb, p.data);
        // events from the host are meaningless; ignore them
      } catch (e) {
        this.emit('error', e instanceof Error ? e : new Error(String(e)));
      }
    }
    const counts = this.links.table.takeCompleted();
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
      config: this.config,
      scanner: this.scanner,
      links: this.links.table,
      advertiser: this.advertiser,
      advertisingChanged: () => this.radio?.advertisingChanged(this),
      setPublicAddress: (address) => {
        this.config.address = address;
        this.advertiser.publicAddress = address;
      },
      complete: (opcode, status = Status.success, ret) => this.send(commandComplete(opcode, status, ret)),
      status: (opcode, status) => this.send(commandStatus(opcode, status)),
      send: (packet) => this.send(packet),
      reset: () => this.reset(),
      createConnection: (opcode, pc) => this.links.createConnection(opcode, pc),
      cancelCreate: () => this.links.cancelCreate(),
      // The host sees "terminated by local host"; the peripheral gets the reason the host sent.
      disconnect: (l, reason) => this.links.endLink(l, Status.localHostTerminated, reason),
    };
  }

  private reset(): void {
    // A reset drops links without Disconnection Complete, stops scanning and initiating.
    this.links.dropAll();
    this.scanner.stop();
    this.links.table.reset();
    this.advertiser.reset();
    this.radio?.advertisingChanged(this);
    this.emit('reset');
  }

  /** Stops everything: links (silently), scanning, the port and socat. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.links.dropAll();
    this.scanner.stop();
    this.radio?.leave(this);
    await this.link.close();
    await this.pty?.close();
  }
}
