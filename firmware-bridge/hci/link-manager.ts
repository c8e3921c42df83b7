// The controller's links and their traffic: connection attempts (to its own peripherals or over the radio to
// another controller's host), links the radio brings in (peripheral role), how a link ends and who hears which
// reason, and the L2CAP routing of host ACL data (ATT/signaling/SMP to a local peripheral, or across the radio).
import {
  LinkTable,
  acceptOutcome,
  createOutcome,
  type AirLink,
  type LinkState,
  type PendingCreate,
} from './connections.ts';
import { commandComplete, commandStatus, disconnectionComplete } from './events.ts';
import { Op, Status } from './hci-constants.ts';
import type { HostAdvertiser } from './host-advertising.ts';
import { Cid, fragmentL2cap } from './l2cap.ts';
import type { VirtualPeripheral } from './peripheral.ts';
import {
  LINK_LOST,
  type ConnectionParameters,
  type RadioLinkEnd,
  type RadioNode,
  type VirtualRadio,
} from './radio.ts';
import { signalingReply } from './signaling.ts';
import { smpReply } from './smp.ts';

/** What the link manager needs from its controller. */
export interface LinkHost {
  readonly node: RadioNode;
  readonly radio: VirtualRadio | null;
  readonly advertiser: HostAdvertiser;
  readonly aclBufferLength: number;
  readonly stats: { aclIn: number; aclOut: number };
  address(): string;
  peripherals(): Iterable<VirtualPeripheral>;
  send(packet: Buffer): void;
  isClosed(): boolean;
  /** a local peripheral was connected or lost its link: report it again when it advertises */
  forget(address: string): void;
  peripheralAdvertisingChanged(p: VirtualPeripheral): void;
}

export class LinkManager {
  readonly table = new LinkTable();
  private pendingCreate: PendingCreate | null = null;
  private readonly host: LinkHost;

  constructor(host: LinkHost) {
    this.host = host;
  }

  // ---- central role ---------------------------------------------------------------------------

  /** LE (Extended) Create Connection: Command Status, then a link once the peer advertises. */
  createConnection(opcode: number, pc: PendingCreate): void {
    if (this.pendingCreate) return this.host.send(commandStatus(opcode, Status.commandDisallowed));
    this.pendingCreate = pc;
    this.host.send(commandStatus(opcode, Status.success));
    // Like a real initiator it waits (until cancelled) for the peer to advertise.
    setImmediate(() => this.tryCompleteCreate());
  }

  tryCompleteCreate(): void {
    const pc = this.pendingCreate;
    if (!pc || this.host.isClosed()) return;
    const p = [...this.host.peripherals()].find(
      (x) => x.address === pc.address && x.addressType === pc.addressType && x.isAdvertising && x.connectable,
    );
    if (!p) return this.tryCreateOnAir(pc);
    this.pendingCreate = null;
    const { handle, att } = this.table.open(p, (h, pdu) => this.sendL2cap(h, Cid.att, pdu));
    const centralAddress = this.host.address();
    p.connection = { handle, att, centralAddress };
    this.host.forget(p.address);
    this.host.send(createOutcome(pc, Status.success, handle));
    p.emit('advertising', false);
    p.emit('connect', { connectionHandle: handle, centralAddress });
  }

  /** The peer of the pending attempt may be another controller's host. */
  private tryCreateOnAir(pc: PendingCreate): void {
    const end = this.host.radio?.connect(this.host.node, pc.address, pc.addressType, pc);
    if (!end) return;
    this.pendingCreate = null;
    const l = this.openAirLink(end, 'central');
    this.host.send(createOutcome(pc, Status.success, l.handle));
  }

  cancelCreate(): void {
    const pc = this.pendingCreate;
    const send = (p: Buffer) => this.host.send(p);
    if (!pc) return send(commandComplete(Op.leCreateConnectionCancel, Status.commandDisallowed));
    this.pendingCreate = null;
    send(commandComplete(Op.leCreateConnectionCancel, Status.success));
    // The initiator reports the cancelled attempt as a failed connection, status 0x02.
    send(createOutcome(pc, Status.unknownConnectionId, null));
  }

  // ---- peripheral role ------------------------------------------------------------------------

  /** A central on the radio connected to the host's advertising: LE Connection Complete, role peripheral. */
  acceptRadioLink(end: RadioLinkEnd, params: ConnectionParameters): void {
    // legacy advertising ends with the connection it accepted; the host re-enables it if it wants more
    this.host.advertiser.enabled = false;
    const l = this.openAirLink(end, 'peripheral');
    this.host.send(acceptOutcome(end, l.handle, params));
    this.host.radio?.advertisingChanged(this.host.node);
  }

  private openAirLink(end: RadioLinkEnd, role: AirLink['role']): AirLink {
    const l = this.table.openRadio(end, role);
    end.onFrame = (cid, payload) => this.sendL2cap(l.handle, cid, payload);
    end.onEnd = (reason) => this.endLink(l, reason, null);
    return l;
  }

  // ---- endings --------------------------------------------------------------------------------

  /** The air loses every radio link: both hosts hear a supervision timeout (0x08). */
  dropRadioLinks(): void {
    for (const l of this.table.all()) if (l.kind === 'radio') this.endLink(l, LINK_LOST, LINK_LOST);
  }

  /** HCI Reset and close: every link goes without Disconnection Complete, attempts are forgotten. */
  dropAll(): void {
    for (const l of this.table.all()) this.endLink(l, null, Status.connectionTimeout);
    this.pendingCreate = null;
  }

  /**
   * reasonToHost null: no event (HCI Reset). reasonToPeer: what the peripheral (or the host across the radio)
   * hears; null when the link ended at the far side.
   */
  endLink(l: LinkState, reasonToHost: number | null, reasonToPeer: number | null): void {
    if (!this.table.remove(l)) return;
    if (l.kind === 'radio') {
      if (reasonToHost !== null) this.host.send(disconnectionComplete(l.handle, reasonToHost));
      if (reasonToPeer !== null) l.end.end(reasonToPeer);
      return;
    }
    const reasonToPeripheral = reasonToPeer ?? Status.connectionTimeout;
    l.att.close(`reason 0x${reasonToPeripheral.toString(16)}`);
    l.peripheral.connection = null;
    if (reasonToHost !== null) this.host.send(disconnectionComplete(l.handle, reasonToHost));
    l.peripheral.emit('disconnect', { connectionHandle: l.handle, reason: reasonToPeripheral });
    this.host.peripheralAdvertisingChanged(l.peripheral);
    if (l.peripheral.isAdvertising) l.peripheral.emit('advertising', true);
  }

  // ---- ACL / L2CAP ----------------------------------------------------------------------------

  onAcl(handle: number, pb: number, data: Buffer): void {
    this.host.stats.aclIn++;
    const l = this.table.get(handle);
    if (!l) return;
    this.table.received(handle);
    for (const frame of l.reassembler.push(pb, data)) {
      if (l.kind === 'radio') l.end.send(frame.cid, frame.payload);
      else if (frame.cid === Cid.att) l.att.receive(frame.payload);
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
    if (!this.table.has(handle)) return;
    for (const acl of fragmentL2cap(handle, cid, payload, this.host.aclBufferLength)) {
      this.host.stats.aclOut++;
      this.host.send(acl);
    }
  }
}
