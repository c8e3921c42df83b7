// The air between virtual controllers. A scan on one controller hears what the hosts of the others advertise
// (LE Set Advertising Data/Enable); a connection from one controller to another's advertising becomes a link
// whose L2CAP frames go from one host to the other. So two real host stacks (noble as central on one
// controller, bleno as peripheral on another) talk to each other with no hardware and no kernel.
import { Status } from './hci-constants.ts';

/** What a scanner sees of an advertising device: a peripheral inside a controller, or another controller. */
export interface Advertiser {
  readonly address: string;
  readonly addressType: 'public' | 'random';
  readonly advData: Buffer;
  readonly scanRspData: Buffer;
  readonly rssi: number;
  readonly connectable: boolean;
  readonly isAdvertising: boolean;
}

/** Connection parameters the initiator asked for (units of the HCI command). */
export interface ConnectionParameters {
  interval: number;
  latency: number;
  timeout: number;
}

/** One side of a link on the air, as the controller at that side sees it. */
export class RadioLinkEnd {
  readonly peerAddress: string;
  readonly peerAddressType: 'public' | 'random';
  readonly rssi: number;
  /** an L2CAP frame from the peer's host */
  onFrame: (cid: number, payload: Buffer) => void = () => undefined;
  /** the peer (or the air) ended the link; `reason` is what this side's host is told */
  onEnd: (reason: number) => void = () => undefined;
  private peer: RadioLinkEnd | null = null;
  private ended = false;

  constructor(peerAddress: string, peerAddressType: 'public' | 'random', rssi: number) {
    this.peerAddress = peerAddress;
    this.peerAddressType = peerAddressType;
    this.rssi = rssi;
  }

  static pair(a: RadioLinkEnd, b: RadioLinkEnd): void {
    a.peer = b;
    b.peer = a;
  }

  get open(): boolean {
    return !this.ended;
  }

  /** An L2CAP frame from this side's host to the peer's host. */
  send(cid: number, payload: Buffer): void {
    if (!this.ended && this.peer) this.peer.onFrame(cid, payload);
  }

  /** This side ends the link; the peer's host hears `reasonForPeer`. Nothing happens on an ended link. */
  end(reasonForPeer: number): void {
    if (this.ended) return;
    this.ended = true;
    const peer = this.peer;
    if (peer && !peer.ended) {
      peer.ended = true;
      peer.onEnd(reasonForPeer);
    }
  }
}

/** A controller on the air. */
export interface RadioNode {
  readonly address: string;
  /** the advertising the node's host set up (LE Set Advertising Parameters/Data/Enable) */
  readonly advertiser: Advertiser;
  /** A central on another node connected to this node's advertising: a new link in the peripheral role. */
  acceptRadioLink(end: RadioLinkEnd, params: ConnectionParameters): void;
  /** An advertiser elsewhere started, stopped or changed: report it again, retry a pending connection. */
  airChanged(address: string): void;
}

export class VirtualRadio {
  private readonly nodes = new Set<RadioNode>();

  join(node: RadioNode): void {
    this.nodes.add(node);
  }

  leave(node: RadioNode): void {
    this.nodes.delete(node);
  }

  /** What `listener` hears: the advertising of every other node that is on the air. */
  advertisers(listener: RadioNode): Advertiser[] {
    const out: Advertiser[] = [];
    for (const n of this.nodes) if (n !== listener && n.advertiser.isAdvertising) out.push(n.advertiser);
    return out;
  }

  /** The advertising of `node` changed: the others hear about it on their next turn (the air is not instant). */
  advertisingChanged(node: RadioNode): void {
    const address = node.advertiser.address;
    for (const n of this.nodes) if (n !== node) setImmediate(() => n.airChanged(address));
  }

  /**
   * A connection from `initiator` to the connectable advertiser at that address, or null when none is on the air
   * (a real initiator keeps waiting, and so does the controller). The target's host learns of it first.
   */
  connect(
    initiator: RadioNode,
    address: string,
    addressType: 'public' | 'random',
    params: ConnectionParameters,
  ): RadioLinkEnd | null {
    const target = [...this.nodes].find(
      (n) =>
        n !== initiator &&
        n.advertiser.isAdvertising &&
        n.advertiser.connectable &&
        n.advertiser.address === address &&
        n.advertiser.addressType === addressType,
    );
    if (!target) return null;
    const rssi = target.advertiser.rssi;
    const atInitiator = new RadioLinkEnd(address, addressType, rssi);
    const atTarget = new RadioLinkEnd(initiator.address, 'public', rssi);
    RadioLinkEnd.pair(atInitiator, atTarget);
    target.acceptRadioLink(atTarget, params);
    return atInitiator;
  }
}

/** Supervision timeout: what both hosts hear when the air loses a link. */
export const LINK_LOST = Status.connectionTimeout;
