// The controller's connections: the link table (a handle per link, each with its peripheral's ATT server and
// L2CAP reassembly, and the ACL packets the host is owed a Number Of Completed Packets for), and the decoding of
// LE (Extended) Create Connection into the attempt the initiator waits with. A link goes to a peripheral inside this
// controller ('local') or over the virtual radio to another controller's host ('radio').
import { addressFromBytes } from './address.ts';
import type { AttServer } from './att-server.ts';
import { leConnectionComplete, leEnhancedConnectionComplete } from './events.ts';
import { L2capReassembler } from './l2cap.ts';
import type { VirtualPeripheral } from './peripheral.ts';
import type { ConnectionParameters, RadioLinkEnd } from './radio.ts';

interface LinkCommon {
  handle: number;
  reassembler: L2capReassembler;
  /** what Read RSSI answers */
  rssi: number;
}

/** A link to a peripheral inside this controller, served by its ATT server. */
export interface LocalLink extends LinkCommon {
  kind: 'local';
  peripheral: VirtualPeripheral;
  att: AttServer;
}

/** A link over the virtual radio: L2CAP frames go to the other controller's host. */
export interface AirLink extends LinkCommon {
  kind: 'radio';
  /** this controller's role: 'central' when its host connected, 'peripheral' when its advertising was */
  role: 'central' | 'peripheral';
  end: RadioLinkEnd;
}

export type LinkState = LocalLink | AirLink;

/** A connection attempt waiting for its peer to advertise. */
export interface PendingCreate {
  address: string;
  addressType: 'public' | 'random';
  interval: number;
  latency: number;
  timeout: number;
  /** answered with LE Enhanced Connection Complete (the extended command) */
  enhanced: boolean;
}

// Offsets of the peer address type (the address follows) and of Connection_Interval_Max (latency and
// supervision timeout follow), in the legacy command and in the extended one's first PHY block.
const LEGACY_CREATE = { peerType: 5, intervalMax: 15 };
const EXTENDED_CREATE = { peerType: 2, intervalMax: 16 };

/** The attempt of an LE (Extended) Create Connection, or null when its parameters are malformed. */
export function parseCreateConnection(params: Buffer, extended: boolean): PendingCreate | null {
  if (extended ? params.length < 26 : params.length !== 25) return null;
  const at = extended ? EXTENDED_CREATE : LEGACY_CREATE;
  return {
    addressType: params[at.peerType] === 1 ? 'random' : 'public',
    address: addressFromBytes(params.subarray(at.peerType + 1, at.peerType + 7)),
    interval: params.readUInt16LE(at.intervalMax),
    latency: params.readUInt16LE(at.intervalMax + 2),
    timeout: params.readUInt16LE(at.intervalMax + 4),
    enhanced: extended,
  };
}

/** The (Enhanced) Connection Complete ending an attempt: a new link, or a failure (handle 0, no parameters). */
export function createOutcome(pc: PendingCreate, status: number, handle: number | null): Buffer {
  const fields = {
    status,
    handle: handle ?? 0,
    role: 0,
    peerAddressType: pc.addressType,
    peerAddress: pc.address,
    interval: handle === null ? 0 : pc.interval,
    latency: handle === null ? 0 : pc.latency,
    supervisionTimeout: handle === null ? 0 : pc.timeout,
  };
  return pc.enhanced ? leEnhancedConnectionComplete(fields) : leConnectionComplete(fields);
}

/** LE Connection Complete for the peripheral role (role 1): a central on the radio connected to our advertising. */
export function acceptOutcome(end: RadioLinkEnd, handle: number, params: ConnectionParameters): Buffer {
  return leConnectionComplete({
    status: 0,
    handle,
    role: 1,
    peerAddressType: end.peerAddressType,
    peerAddress: end.peerAddress,
    interval: params.interval,
    latency: params.latency,
    supervisionTimeout: params.timeout,
  });
}

const FIRST_HANDLE = 0x0040;
const LAST_HANDLE = 0x0eff;

export class LinkTable {
  private readonly links = new Map<number, LinkState>();
  /** LE ACL packets received from the host, per handle, not yet acknowledged with NOCP */
  private readonly unacknowledged = new Map<number, number>();
  private nextHandle = FIRST_HANDLE;

  get(handle: number): LinkState | undefined {
    return this.links.get(handle);
  }

  has(handle: number): boolean {
    return this.links.has(handle);
  }

  all(): LinkState[] {
    return [...this.links.values()];
  }

  /** A link to p on a free handle; its ATT PDUs go out through sendAtt. */
  open(p: VirtualPeripheral, sendAtt: (handle: number, pdu: Buffer) => void): LocalLink {
    const handle = this.allocateHandle();
    const att = p.serveAtt(handle, (pdu) => sendAtt(handle, pdu));
    const l: LocalLink = {
      kind: 'local',
      handle,
      peripheral: p,
      att,
      reassembler: new L2capReassembler(),
      rssi: p.rssi,
    };
    this.links.set(handle, l);
    return l;
  }

  /** A link over the radio on a free handle. */
  openRadio(end: RadioLinkEnd, role: AirLink['role']): AirLink {
    const handle = this.allocateHandle();
    const l: AirLink = {
      kind: 'radio',
      handle,
      role,
      end,
      reassembler: new L2capReassembler(),
      rssi: end.rssi,
    };
    this.links.set(handle, l);
    return l;
  }

  /** Takes l out of the table; false when it is no longer there. */
  remove(l: LinkState): boolean {
    if (this.links.get(l.handle) !== l) return false;
    this.links.delete(l.handle);
    this.unacknowledged.delete(l.handle);
    return true;
  }

  /** One ACL packet from the host on this link, to acknowledge. */
  received(handle: number): void {
    this.unacknowledged.set(handle, (this.unacknowledged.get(handle) ?? 0) + 1);
  }

  /** The counts for a Number Of Completed Packets event (none when empty); they are acknowledged. */
  takeCompleted(): { handle: number; count: number }[] {
    const counts = [...this.unacknowledged].map(([handle, count]) => ({ handle, count }));
    this.unacknowledged.clear();
    return counts;
  }

  /** HCI Reset (after its links were ended): handles start over, nothing is owed. */
  reset(): void {
    this.unacknowledged.clear();
    this.nextHandle = FIRST_HANDLE;
  }

  private allocateHandle(): number {
    for (;;) {
      const h = this.nextHandle;
      this.nextHandle = h >= LAST_HANDLE ? FIRST_HANDLE : h + 1;
      if (!this.links.has(h)) return h;
    }
  }
}
