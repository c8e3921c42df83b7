// A scenario run in a child process: the virtual controller and its simulators use their own CPU, as a real
// dongle and real sensors do, instead of competing with the gateway (or a benchmark) for one event loop.
// Events carry process.hrtime.bigint() stamps (CLOCK_MONOTONIC, comparable across processes).
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { measurePtyByteRateOf, type ByteRateResult } from '../hci/index.ts';
import type { TransferEnd } from './racp-server.ts';
import type { Scenario } from './scenario.ts';
import type { SimulationDescription } from './simulation.ts';

// simulation-child.ts beside the sources, simulation-child.js beside the compiled build
const CHILD = fileURLToPath(new URL(`./simulation-child${path.extname(import.meta.url)}`, import.meta.url));

export type ParentMessage =
  | { type: 'start'; scenario: Scenario; capture: boolean }
  | { type: 'captured'; id: number; withData: boolean }
  | { type: 'push-captured'; id: number; path: string; baudRate: number }
  | { type: 'close' };

export type ChildMessage =
  | { type: 'ready'; description: SimulationDescription }
  | { type: 'racp'; address: string; hex: string; at: string }
  | { type: 'transfer-end'; address: string; end: TransferEnd; at: string }
  | { type: 'captured'; id: number; packets: number; bytes: number; data?: Buffer }
  | { type: 'pushed'; id: number; start: string }
  | { type: 'error'; id?: number; message: string };

export interface ProcessEvents {
  /** a RACP request reached a simulator; `at` = hrtime (ns) in the child */
  racp: [address: string, hex: string, at: bigint];
  'transfer-end': [address: string, end: TransferEnd, at: bigint];
  error: [err: Error];
}

export interface SimulationProcessOptions {
  /**
   * Keep the controller's outgoing packets from each RACP request to its transfer end (the last report's
   * bytes), for captured() and measureCapturedByteRate().
   */
  capture?: boolean;
  /** ms to wait for the child to come up (default 30 s) */
  timeoutMs?: number;
}

export class SimulationProcess extends EventEmitter<ProcessEvents> {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(m: ChildMessage): void; reject(e: Error): void }>();
  private exited: Promise<void>;

  private readonly child: ChildProcess;
  readonly description: SimulationDescription;

  private constructor(child: ChildProcess, description: SimulationDescription) {
    super();
    this.child = child;
    this.description = description;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.on('message', (raw) => this.onMessage(raw as ChildMessage));
    child.once('exit', (code, signal) => {
      const err = new Error(`simulation process exited (${signal ?? code})`);
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    });
  }

  /** The pty end to hand to noble. */
  get ptyPath(): string {
    return this.description.pty;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  static async start(scenario: Scenario, opts: SimulationProcessOptions = {}): Promise<SimulationProcess> {
    // same loader flags as this process (tsx), serialization that carries Buffers
    const child = fork(CHILD, [], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    try {
      const description = await new Promise<SimulationDescription>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error('simulation process did not come up')),
          opts.timeoutMs ?? 30_000,
        );
        child.on('message', function onMessage(raw) {
          const m = raw as ChildMessage;
          if (m.type !== 'ready' && m.type !== 'error') return;
          clearTimeout(timer);
          child.off('message', onMessage);
          if (m.type === 'ready') resolve(m.description);
          else reject(new Error(`simulation process: ${m.message}`));
        });
        child.once('exit', (code, signal) => {
          clearTimeout(timer);
          reject(new Error(`simulation process exited (${signal ?? code}) before it was ready`));
        });
        child.send({ type: 'start', scenario, capture: opts.capture ?? false } satisfies ParentMessage);
      });
      return new SimulationProcess(child, description);
    } catch (e) {
      child.kill();
      throw e;
    }
  }

  private onMessage(m: ChildMessage): void {
    switch (m.type) {
      case 'racp':
        this.emit('racp', m.address, m.hex, BigInt(m.at));
        return;
      case 'transfer-end':
        this.emit('transfer-end', m.address, m.end, BigInt(m.at));
        return;
      case 'error':
        if (m.id !== undefined && this.waiting.has(m.id)) {
          this.waiting.get(m.id)?.reject(new Error(m.message));
          this.waiting.delete(m.id);
        } else if (this.listenerCount('error') > 0) this.emit('error', new Error(m.message));
        return;
      case 'captured':
      case 'pushed': {
        const w = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        w?.resolve(m);
        return;
      }
    }
  }

  private ask<T extends ChildMessage>(m: ParentMessage & { id: number }): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(m.id, { resolve: (r) => resolve(r as T), reject });
      this.child.send(m);
    });
  }

  /** The captured packets' count and bytes (and the bytes themselves with `withData`). */
  async captured(withData = false): Promise<{ packets: number; bytes: number; data?: Buffer }> {
    const r = await this.ask<Extract<ChildMessage, { type: 'captured' }>>({
      type: 'captured',
      id: this.nextId++,
      withData,
    });
    return { packets: r.packets, bytes: r.bytes, ...(r.data ? { data: Buffer.from(r.data) } : {}) };
  }

  /**
   * The byte-rate ceiling of the captured bytes, set up as the transfer was: the child writes them (same
   * writer as its controller) into a fresh pty, this process reads them (same serialport reader as noble).
   */
  async measureCapturedByteRate(opts: { timeoutMs?: number } = {}): Promise<ByteRateResult> {
    const what = await this.captured();
    return measurePtyByteRateOf(
      what,
      async (path, baudRate) => {
        const r = await this.ask<Extract<ChildMessage, { type: 'pushed' }>>({
          type: 'push-captured',
          id: this.nextId++,
          path,
          baudRate,
        });
        return BigInt(r.start);
      },
      opts,
    );
  }

  /** Closes the simulators and the controller (socat killed), then waits for the child to exit. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (this.child.connected) this.child.send({ type: 'close' } satisfies ParentMessage);
    const timer = setTimeout(() => this.child.kill(), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

export function startSimulationProcess(
  scenario: Scenario,
  opts: SimulationProcessOptions = {},
): Promise<SimulationProcess> {
  return SimulationProcess.start(scenario, opts);
}
