// Live facts that only the running process knows (BLE connection state, the MQTT publisher, recent errors,
// which parts started), handed to the operator server. Parts report here; the operator side only reads.
// One instance per process (`operatorProbes`); tests make their own.
import type { BleCentral } from '../../drivers/ble/central.ts';
import type { Publisher } from '../../gateway/sync/publisher.ts';
import type { HubClockState } from '../../lib/hub-clock.ts';

export interface RecentEvent {
  atMs: number;
  level: 'warn' | 'error' | 'fatal';
  /** The `component` binding of the logger that wrote it (ble, server, sync, ...). */
  component: string | null;
  message: string;
}

/** The last `size` warnings and errors, newest first. */
export class EventRing {
  private readonly items: RecentEvent[] = [];
  readonly size: number;

  constructor(size = 50) {
    this.size = size;
  }

  push(e: RecentEvent): void {
    this.items.push(e);
    if (this.items.length > this.size) this.items.shift();
  }

  list(): RecentEvent[] {
    return [...this.items].reverse();
  }

  count(level?: RecentEvent['level']): number {
    return level ? this.items.filter((e) => e.level === level).length : this.items.length;
  }
}

export class OperatorProbes {
  ble: BleCentral | null = null;
  publisher: Publisher | null = null;
  readonly events = new EventRing(50);
  /** Names of parts that reported they run (the operator component marks the gateway started). */
  readonly started = new Set<string>();
  readonly processStartMs = Date.now();
  /** The hub clock as the retention job last saw it (null: not checked yet). */
  hubClock: HubClockState | null = null;

  /** For createBleComponent(onRunning): the central while it runs, null after it stopped. */
  readonly setBle = (central: BleCentral | null): void => {
    this.ble = central;
    if (central) this.started.add('ble');
    else this.started.delete('ble');
  };

  readonly setPublisher = (publisher: Publisher | null): void => {
    this.publisher = publisher;
    if (publisher) this.started.add('mqtt');
    else this.started.delete('mqtt');
  };
}

export const operatorProbes = new OperatorProbes();
