// Finds meter cables: configured device paths, or USB-serial adapters matched by VID/PID from
// `SerialPort.list()`. Polls, so a cable plugged in later is picked up and one pulled out is reported gone;
// each attached port gets an AbortSignal that fires when it disappears (or discovery stops), so whoever is
// talking to it can close cleanly.
import fs from 'node:fs';
import { SerialPort } from 'serialport';
import type { SerialProtocol } from './meter-session.ts';

export interface PortInfo {
  path: string;
  vendorId?: string;
  productId?: string;
  manufacturer?: string;
  serialNumber?: string;
}

export type ListPorts = () => Promise<PortInfo[]>;

/** A configured meter line: a fixed path, or any port whose USB VID (and PID) match. */
export interface MeterPortRule {
  protocol: SerialProtocol;
  path?: string;
  /** 4 hex digits, e.g. `067b`. */
  vendorId?: string;
  productId?: string;
}

export interface DiscoveredPort {
  path: string;
  protocol: SerialProtocol;
  rule: MeterPortRule;
  info?: PortInfo;
}

/**
 * Cables known to carry these protocols (docs/serial-meters.md). VID/PID alone cannot tell which meter is on
 * the far end of a generic adapter, so these are defaults for a hub with one kind of meter, not proof.
 */
export const KNOWN_CABLES: (MeterPortRule & { cable: string })[] = [
  {
    cable: 'LifeScan OneTouch USB cable (Prolific PL2303)',
    vendorId: '067b',
    productId: '2303',
    protocol: 'onetouch-ultra2',
  },
  {
    cable: 'LifeScan cable with embedded CP210x',
    vendorId: '10c4',
    productId: '85a7',
    protocol: 'onetouch-ultraeasy',
  },
];

export interface PortDiscoveryOptions {
  rules: MeterPortRule[];
  /** Defaults to the real `SerialPort.list()`; tests inject their own. */
  list?: ListPorts;
  /** Defaults to fs.existsSync; a configured path counts as present while it exists. */
  exists?: (path: string) => boolean;
  intervalMs?: number;
  onAttach: (port: DiscoveredPort, signal: AbortSignal) => void;
  onDetach?: (port: DiscoveredPort) => void;
  /** A failing list() is reported here and retried on the next poll. */
  onError?: (err: Error) => void;
}

const hex4 = (s: string | undefined): string | undefined =>
  s ? s.toLowerCase().replace(/^0x/, '').padStart(4, '0') : undefined;

export function matchRule(rule: MeterPortRule, info: PortInfo): boolean {
  if (rule.path) return info.path === rule.path;
  if (!rule.vendorId) return false;
  if (hex4(info.vendorId) !== hex4(rule.vendorId)) return false;
  return !rule.productId || hex4(info.productId) === hex4(rule.productId);
}

export class PortDiscovery {
  private readonly list: ListPorts;
  private readonly exists: (path: string) => boolean;
  private readonly attached = new Map<string, { port: DiscoveredPort; abort: AbortController }>();
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private stopped = false;

  private readonly opts: PortDiscoveryOptions;

  constructor(opts: PortDiscoveryOptions) {
    this.opts = opts;
    this.list = opts.list ?? (() => SerialPort.list());
    this.exists = opts.exists ?? ((p) => fs.existsSync(p));
  }

  /** Ports currently present. */
  current(): DiscoveredPort[] {
    return [...this.attached.values()].map((a) => a.port);
  }

  /** One scan; resolves when attach/detach callbacks for it have run. */
  poll(): Promise<void> {
    this.polling ??= this.scan().finally(() => {
      this.polling = null;
    });
    return this.polling;
  }

  private async scan(): Promise<void> {
    const found = new Map<string, DiscoveredPort>();
    for (const rule of this.opts.rules) {
      if (rule.path && this.exists(rule.path))
        found.set(rule.path, { path: rule.path, protocol: rule.protocol, rule });
    }
    if (this.opts.rules.some((r) => !r.path)) {
      let infos: PortInfo[];
      try {
        infos = await this.list();
      } catch (err) {
        this.opts.onError?.(listError(err));
        return; // keep what we have; try again next time
      }
      for (const info of infos) {
        if (found.has(info.path)) continue;
        const rule = this.opts.rules.find((r) => !r.path && matchRule(r, info));
        if (rule) found.set(info.path, { path: info.path, protocol: rule.protocol, rule, info });
      }
    }
    if (this.stopped) return;
    for (const [path, entry] of this.attached) {
      if (!found.has(path)) this.detach(path, entry);
    }
    for (const [path, port] of found) {
      if (this.attached.has(path)) continue;
      const abort = new AbortController();
      this.attached.set(path, { port, abort });
      this.opts.onAttach(port, abort.signal);
    }
  }

  private detach(path: string, entry: { port: DiscoveredPort; abort: AbortController }): void {
    this.attached.delete(path);
    entry.abort.abort(new Error(`${path} disappeared`));
    this.opts.onDetach?.(entry.port);
  }

  start(): void {
    if (this.timer) return;
    this.stopped = false;
    const tick = (): void => {
      void this.poll().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.opts.intervalMs ?? 2000);
      });
    };
    tick();
  }

  /** Stops polling and detaches everything (their signals fire). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.polling;
    for (const [path, entry] of this.attached) this.detach(path, entry);
  }
}

/** serialport lists Linux ports through udevadm: say which package is missing rather than just ENOENT. */
function listError(err: unknown): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  if ((e as NodeJS.ErrnoException).code === 'ENOENT' && /udevadm/.test(e.message))
    return new Error(`listing serial ports by USB id needs udevadm (Debian package udev): ${e.message}`);
  return e;
}
