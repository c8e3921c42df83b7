// A simulator on a real peripheral stack: @stoprocent/bleno on a Bluetooth adapter (a kernel adapter through the
// HCI socket, "hci0"; or an HCI UART controller such as a Zephyr hci_uart dongle, "/dev/ttyACM0", or our virtual
// controller's pty). It is a PeripheralHost, so CgmSimulator and GlucoseMeterSimulator run on it unchanged: the
// simulator's GATT database is served by bleno (bleno-gatt.ts), its notifications and indications go through
// bleno (bleno-link.ts), and the link events come from bleno. One simulated device per adapter: bleno serves one
// GATT database per controller.
import fs from 'node:fs';
import type { Bleno, HciBindingsOptions } from '@stoprocent/bleno';
import { GatewayError } from '../../lib/errors.ts';
import { HciStatus, VirtualPeripheral, type PeripheralHost, type PeripheralLink } from '../hci/index.ts';
import type { PeripheralOptions } from '../hci/index.ts';
import { blenoServices, type BlenoGattEvents } from './bleno-gatt.ts';
import { BlenoLink } from './bleno-link.ts';

export interface BlenoHostOptions {
  /** "hci0", "hci1"… (kernel adapter, HCI socket) or a serial path (HCI UART controller) */
  adapter: string;
  /** UART baud rate (default 1,000,000, bleno's default) */
  baudRate?: number;
  /**
   * Give the controller the simulated device's address (vendor Write BD_ADDR: Zephyr/Linux Foundation, TI, BCM,
   * Ericsson, Marvell...). Default false: the device advertises with the adapter's own address.
   */
  useDeviceAddress?: boolean;
  /** how long to wait for the adapter to power on (default 10 s) */
  timeoutMs?: number;
}

/** bleno's binding options for an adapter name or a serial path. */
export function blenoBindingOptions(adapter: string, baudRate = 1_000_000): HciBindingsOptions {
  const hci = /^hci(\d+)$/.exec(adapter);
  if (hci) return { hciDriver: 'native', deviceId: Number(hci[1]) };
  if (!adapter.startsWith('/')) {
    throw new GatewayError(
      'ERR_INVALID_ARGUMENT',
      `adapter "${adapter}" is neither hciN nor a serial device path (/dev/ttyACM0)`,
    );
  }
  return { hciDriver: 'uart', bindParams: { uart: { port: adapter, baudRate } } };
}

// How many ACL packets may wait in bleno before notifyPaced() waits (bleno's queue has no bound of its own).
const ACL_BACKLOG_HIGH = 64;

/** ACL packets bleno 0.12.4 still holds for the controller (Hci._aclOutQueue); 0 if its internals differ. */
function aclBacklog(b: Bleno): number {
  const hci = (b as unknown as { _bindings?: { _hci?: { _aclOutQueue?: unknown } } })._bindings?._hci;
  return Array.isArray(hci?._aclOutQueue) ? hci._aclOutQueue.length : 0;
}

/** bleno 0.12.4 re-arms its 1 s "is the device up" poll forever, even after stop(): end it. */
function stopDevUpPolling(b: Bleno): void {
  const hci = (b as unknown as { _bindings?: { _hci?: { pollIsDevUp?: unknown } } })._bindings?._hci;
  if (hci && typeof hci.pollIsDevUp === 'function') hci.pollIsDevUp = () => undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves when bleno is powered on; rejects for an adapter it cannot use, or after `ms`. */
function poweredOn(b: Bleno, adapter: string, ms: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => done(new GatewayError('ERR_TIMEOUT', `${adapter}: not powered on after ${ms} ms (${b.state})`)),
      ms,
    );
    const onState = (state: string) => {
      if (state === 'poweredOn') done();
      else if (state === 'unauthorized' || state === 'unsupported') {
        const why = `${adapter}: ${state} (root or CAP_NET_RAW for hciN; a BLE controller, HCI >= 4.0)`;
        done(new GatewayError('ERR_PORT_OPEN', why));
      }
    };
    const done = (e?: Error) => {
      clearTimeout(timer);
      b.removeListener('stateChange', onState);
      if (e) reject(e);
      else resolve();
    };
    b.on('stateChange', onState); // the first listener starts bleno's HCI init
  });
}

export class BlenoHost implements PeripheralHost, PeripheralLink {
  readonly adapter: string;
  private readonly bleno: Bleno;
  private readonly opts: BlenoHostOptions;
  private device: VirtualPeripheral | null = null;
  private link: BlenoLink | null = null;
  /** the reason the simulator hears when it ended the link itself */
  private endingReason: number | null = null;
  private published: Promise<void> = Promise.resolve();
  private advertisingOps: Promise<void> = Promise.resolve();
  private advertisingOn = false;
  private closed = false;
  /** the last error of an advertising or publishing step (kept, never thrown into bleno) */
  lastError: Error | null = null;

  private constructor(bleno: Bleno, opts: BlenoHostOptions) {
    this.bleno = bleno;
    this.opts = opts;
    this.adapter = opts.adapter;
    bleno.on('accept', (address, handle) => this.onAccept(address, Number(handle)));
    bleno.on('disconnect', (_address, handle) => this.onDisconnect(Number(handle)));
    bleno.on('mtuChange', (mtu) => this.onMtu(mtu));
  }

  /** Opens the adapter with bleno and waits until it is powered on. */
  static async start(opts: BlenoHostOptions): Promise<BlenoHost> {
    const binding = blenoBindingOptions(opts.adapter, opts.baudRate);
    // bleno's UART driver only retries a missing port; say so at once
    if (binding.hciDriver === 'uart' && !fs.existsSync(opts.adapter)) {
      throw new GatewayError('ERR_PORT_OPEN', `${opts.adapter}: no such serial device`);
    }
    // imported here: bleno creates a default HCI socket when it is loaded, which only this path needs
    const { withBindings } = await import('@stoprocent/bleno');
    const host = new BlenoHost(withBindings('hci', binding), opts);
    try {
      await poweredOn(host.bleno, opts.adapter, opts.timeoutMs ?? 10_000);
    } catch (e) {
      await host.close();
      throw e;
    }
    return host;
  }

  /** The controller's address (what centrals see). */
  get address(): string {
    return this.bleno.address;
  }

  get peripheral(): VirtualPeripheral | null {
    return this.device;
  }

  addPeripheral(opts: PeripheralOptions): VirtualPeripheral {
    if (this.device) {
      throw new Error(
        `${this.adapter} already serves ${this.device.address}: bleno serves one device per adapter`,
      );
    }
    const p = new VirtualPeripheral(opts, this);
    this.device = p;
    this.published = this.publish(p);
    return p;
  }

  /** Resolves once the device's services are set and it advertises. */
  ready(): Promise<void> {
    return this.published;
  }

  private async publish(p: VirtualPeripheral): Promise<void> {
    if (this.opts.useDeviceAddress) await this.bleno.setAddressAsync(p.address);
    await this.bleno.setServicesAsync(blenoServices(this.bleno, p.gatt, this.gattEvents()));
    if (p.name) {
      // bleno takes its GAP Device Name from startAdvertising's name; our own payloads follow
      await this.bleno.startAdvertisingAsync(p.name, []);
      await this.bleno.stopAdvertisingAsync();
    }
    await this.applyAdvertising();
    if (this.lastError) throw this.lastError;
  }

  private gattEvents(): BlenoGattEvents {
    return {
      unresponsive: () => this.link?.unresponsive ?? false,
      subscribed: (char, connection, update) => {
        const l = this.link;
        if (!l || l.handle !== connection) return;
        this.device?.emit('subscribe', char.uuid.key, l.subscribed(char, update));
      },
      confirmed: (char, connection) => {
        if (this.link?.handle === connection) this.link.confirmed(char);
      },
    };
  }

  /** Advertising follows the device (on air unless connected, switched off or removed); steps run in order. */
  private applyAdvertising(): Promise<void> {
    this.advertisingOps = this.advertisingOps
      .then(async () => {
        const p = this.device;
        if (this.closed) return;
        // a controller may refuse Enable while advertising: stop first to change the data
        if (this.advertisingOn) await this.bleno.stopAdvertisingAsync();
        this.advertisingOn = false;
        if (p?.isAdvertising) {
          await this.bleno.startAdvertisingWithEIRDataAsync(p.advData, p.scanRspData);
          this.advertisingOn = true;
        }
      })
      .catch((e: unknown) => {
        this.lastError = e instanceof Error ? e : new Error(String(e));
      });
    return this.advertisingOps;
  }

  private onAccept(address: string, handle: number): void {
    const p = this.device;
    if (!p || this.link || this.closed) {
      // one central at a time, as the sensors we simulate
      (this.bleno.disconnect as (h?: number) => void)(handle);
      return;
    }
    // synchronously: bleno re-enables advertising after 'accept' unless it was stopped
    this.bleno.stopAdvertising();
    this.advertisingOn = false;
    const link = new BlenoLink(handle);
    link.unresponsive = p.isUnresponsive;
    this.link = link;
    p.connection = { handle, att: link, centralAddress: address };
    p.emit('advertising', false);
    p.emit('connect', { connectionHandle: handle, centralAddress: address });
  }

  private onDisconnect(handle: number): void {
    const link = this.link;
    if (!link || link.handle !== handle) return;
    link.close('disconnected');
    this.link = null;
    const reason = this.endingReason ?? HciStatus.remoteUserTerminated;
    this.endingReason = null;
    const p = this.device;
    if (!p) return;
    p.connection = null;
    p.emit('disconnect', { connectionHandle: handle, reason });
    void this.applyAdvertising();
    if (p.isAdvertising) p.emit('advertising', true);
  }

  private onMtu(mtu: number): void {
    if (!this.link) return;
    this.link.mtu = mtu;
    this.device?.emit('mtu', mtu);
  }

  // ---- PeripheralLink -------------------------------------------------------------------------

  /**
   * The simulator ends the link (dropLink, disconnect). What bleno already queued goes out first, so "drop after N
   * records" holds; the central then sees HCI Disconnect from the peripheral: reason 0x13 (a peripheral cannot fake
   * a supervision timeout). The simulator hears 0x08 for dropLink, as on the virtual controller.
   */
  terminate(p: VirtualPeripheral, reasonToHost: number): void {
    const link = this.link;
    if (!link || p !== this.device) return;
    this.endingReason =
      reasonToHost === HciStatus.connectionTimeout ? reasonToHost : HciStatus.localHostTerminated;
    void this.drained(0).then(() => {
      if (this.link === link) (this.bleno.disconnect as (h?: number) => void)(link.handle);
    });
  }

  removePeripheral(p: VirtualPeripheral): void {
    if (p !== this.device) return;
    this.device = null;
    void this.applyAdvertising();
  }

  advertisingChanged(p: VirtualPeripheral): void {
    if (p === this.device) void this.applyAdvertising();
  }

  whenWritable(): Promise<void> {
    return aclBacklog(this.bleno) <= ACL_BACKLOG_HIGH
      ? Promise.resolve()
      : this.drained(ACL_BACKLOG_HIGH / 2);
  }

  private async drained(max: number): Promise<void> {
    while (!this.closed && aclBacklog(this.bleno) > max) await sleep(2);
  }

  /** Ends the link (the central hears it at once, not after its supervision timeout), stops bleno, closes. */
  async close(): Promise<void> {
    if (this.closed) return;
    const link = this.link;
    if (link) {
      const ended = new Promise<void>((resolve) => this.bleno.once('disconnect', () => resolve()));
      (this.bleno.disconnect as (h?: number) => void)(link.handle);
      await Promise.race([ended, sleep(1000)]);
    }
    this.closed = true;
    this.link?.close('closed');
    this.link = null;
    try {
      this.bleno.stop();
    } catch (e) {
      this.lastError = e instanceof Error ? e : new Error(String(e));
    }
    stopDevUpPolling(this.bleno);
    await sleep(20); // let the serial port's close reach the OS
  }
}
