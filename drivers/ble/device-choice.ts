// Which advertisers the central may connect to: the configuration's allowList and the devices added with
// `hddt-gateway pair add`. Anything else that advertises a glucose or CGM service (a neighbour's meter in a care
// home) is only listed for the operator, never connected, unless `ble.unknownDevices` is "connect".
import type { Advertisement } from './transport.ts';
import { normalizeAddress } from './uuids.ts';

export interface PairedSource {
  has(address: string): boolean;
}

export interface DeviceChoiceOptions {
  allowList: readonly string[];
  unknownDevices: 'list' | 'connect';
  paired?: PairedSource;
  /** How many unknown devices are remembered (the oldest seen is dropped first). */
  maxListed?: number;
}

export interface UnknownDevice {
  address: string;
  family: 'cgm' | 'glucose';
  name?: string;
  rssi: number;
  firstSeenAt: string;
  lastSeenAt: string;
}

export type Choice = { connect: true } | { connect: false; firstSeen: boolean; pairedError?: string };

export class DeviceChoice {
  private readonly allow: Set<string>;
  private readonly opts: DeviceChoiceOptions;
  private readonly unknown = new Map<string, UnknownDevice>();
  private pairedErrorShown = false;

  constructor(opts: DeviceChoiceOptions) {
    this.opts = opts;
    this.allow = new Set(opts.allowList.map(normalizeAddress));
  }

  /** Decides for one advertisement; an unknown device is remembered for the operator. */
  decide(adv: Advertisement, family: 'cgm' | 'glucose', now = new Date()): Choice {
    const address = normalizeAddress(adv.address);
    let pairedError: string | undefined;
    if (this.opts.unknownDevices === 'connect' || this.allow.has(address)) return { connect: true };
    try {
      if (this.opts.paired?.has(address)) {
        this.unknown.delete(address);
        return { connect: true };
      }
    } catch (err) {
      // A broken paired-devices file connects nothing from it; say so once, not at every advertisement.
      if (!this.pairedErrorShown) pairedError = (err as Error).message;
      this.pairedErrorShown = true;
    }
    const at = now.toISOString();
    const seen = this.unknown.get(address);
    const entry: UnknownDevice = {
      address,
      family,
      ...(adv.name ? { name: adv.name } : seen?.name ? { name: seen.name } : {}),
      rssi: adv.rssi,
      firstSeenAt: seen?.firstSeenAt ?? at,
      lastSeenAt: at,
    };
    this.unknown.delete(address);
    this.unknown.set(address, entry);
    const max = this.opts.maxListed ?? 20;
    while (this.unknown.size > max) this.unknown.delete(this.unknown.keys().next().value as string);
    return { connect: false, firstSeen: !seen, ...(pairedError ? { pairedError } : {}) };
  }

  /** Devices seen but not connected, most recently seen last. */
  listed(): UnknownDevice[] {
    return [...this.unknown.values()];
  }
}
