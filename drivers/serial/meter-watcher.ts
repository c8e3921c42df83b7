// Hub mode for serial meters: port discovery + one dump per plug-in. A meter cable that appears is dumped
// into the store once; pulling it out mid-dump aborts that dump cleanly (what was complete is stored).
import type { ReadingPort } from '../../gateway/ingest/port.ts';
import type { MeterError } from './meter-error.ts';
import type { SessionOptions } from './meter-session.ts';
import type { DiscoveredPort, ListPorts, MeterPortRule } from './port-discovery.ts';
import { PortDiscovery } from './port-discovery.ts';
import { dumpMeter, type DumpResult } from './run-dump.ts';

export interface MeterWatcherOptions {
  rules: MeterPortRule[];
  port: ReadingPort;
  timeZone: string;
  list?: ListPorts;
  intervalMs?: number;
  session?: Partial<SessionOptions>;
  onDump?: (port: DiscoveredPort, result: DumpResult) => void;
  /** A dump that could not even start (port not openable): reported, retried on the next plug-in. */
  onError?: (port: DiscoveredPort, err: Error) => void;
}

export class MeterWatcher {
  private readonly discovery: PortDiscovery;
  private readonly running = new Set<Promise<void>>();

  private readonly opts: MeterWatcherOptions;

  constructor(opts: MeterWatcherOptions) {
    this.opts = opts;
    this.discovery = new PortDiscovery({
      rules: opts.rules,
      list: opts.list,
      intervalMs: opts.intervalMs,
      onAttach: (port, signal) => this.dump(port, signal),
    });
  }

  private dump(port: DiscoveredPort, signal: AbortSignal): void {
    const job = dumpMeter({
      path: port.path,
      protocol: port.protocol,
      port: this.opts.port,
      timeZone: this.opts.timeZone,
      session: this.opts.session,
      signal,
    }).then(
      (result) => this.opts.onDump?.(port, result),
      (err: MeterError | Error) => this.opts.onError?.(port, err),
    );
    this.running.add(job);
    void job.finally(() => this.running.delete(job));
  }

  start(): void {
    this.discovery.start();
  }

  /** Stops watching, aborts dumps in progress and waits for them to hand over what they have. */
  async stop(): Promise<void> {
    await this.discovery.stop();
    await Promise.all([...this.running]);
  }
}
