// The small transport seam between the device state machines and the BLE stack: a radio that scans and
// connects, and a connected GATT link with timed, cancellable operations. noble-transport.ts implements it on
// @stoprocent/noble; the device drivers only see these interfaces.
import { GatewayError } from '../../lib/errors.ts';

export interface Advertisement {
  /** The stack's handle for the peripheral (noble's id). */
  id: string;
  /** Lower-case colon form. */
  address: string;
  name?: string;
  serviceUuids: string[];
  rssi: number;
  connectable: boolean;
  /** The company identifier of the advertised manufacturer data (vendor quirks are keyed by it too). */
  companyId?: number;
}

export interface BleRadio {
  /** Resolves once the adapter is powered on. */
  powerOn(timeoutMs: number): Promise<void>;
  /** The adapter's own address (for logs). */
  readonly address: string;
  /** (Re)starts scanning for the given services; a restart reports already-seen devices again. */
  startScanning(serviceUuids: string[]): Promise<void>;
  stopScanning(): Promise<void>;
  onDiscover(listener: (adv: Advertisement) => void): void;
  /** Connects and discovers the given services (all when empty) and all their characteristics. */
  connect(id: string, opts: { timeoutMs: number; services: string[] }): Promise<GattLink>;
  close(): Promise<void>;
}

/** Thrown by GattLink operations: the link went down, the operation timed out, or the stack refused it. */
const LINK_CODES = {
  disconnected: 'ERR_LINK_DISCONNECTED',
  timeout: 'ERR_LINK_TIMEOUT',
  gatt: 'ERR_LINK_GATT',
  missing: 'ERR_LINK_MISSING',
} as const;

export class LinkError extends GatewayError {
  readonly reason: keyof typeof LINK_CODES;
  constructor(reason: LinkError['reason'], message: string) {
    super(LINK_CODES[reason], message);
    this.reason = reason;
  }
}

export interface GattLink {
  readonly address: string;
  readonly connected: boolean;
  has(service: string, characteristic: string): boolean;
  read(service: string, characteristic: string): Promise<Buffer>;
  write(service: string, characteristic: string, data: Uint8Array): Promise<void>;
  /** Enables notifications/indications; `onValue` must not throw (it is wrapped anyway). */
  subscribe(service: string, characteristic: string, onValue: (value: Buffer) => void): Promise<void>;
  /** Called once when the link goes down, whoever ended it. */
  onDisconnect(listener: (reason: string) => void): void;
  disconnect(): Promise<void>;
}
