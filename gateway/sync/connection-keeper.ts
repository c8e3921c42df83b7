// One broker connection kept alive for the publisher and the consumer: connect, and after any loss abandon the
// client (mqtt.js would otherwise queue in memory and reconnect on its own) and connect again after a capped,
// jittered backoff. Every connection has an epoch; callbacks of an abandoned connection check it and do nothing.
import mqtt, { type IClientOptions, type IConnackPacket, type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { Backoff } from '../../lib/backoff.ts';
import { clientOptions, type BrokerConnection } from './connection.ts';
import { withTimeout } from './timeout.ts';

/** A connection that lasted this long counts as healthy (resets the reconnect backoff). */
export const STABLE_MS = 10_000;

export interface ConnectionEvents {
  /** Options for connection `epoch` on top of clientOptions() (session, will, custom acks). */
  options?(epoch: number): IClientOptions;
  /** CONNACK of connection `epoch` (the current one). */
  connected(client: MqttClient, connack: IConnackPacket, epoch: number): void;
  message?(topic: string, payload: Buffer, packet: IPublishPacket): void;
  error?(err: Error): void;
  /** The current connection was abandoned (a new one is scheduled unless stopping). */
  dropped?(): void;
}

export interface ConnectionKeeperOptions {
  connection: BrokerConnection;
  log: Logger;
  /** Log line when an established connection is lost. */
  lostMessage: string;
  /** Wall clock for the "stable connection" rule (default Date.now). */
  clock?: () => number;
}

export class ConnectionKeeper {
  private readonly backoff: Backoff;
  private readonly clock: () => number;
  private client: MqttClient | undefined;
  private isConnected = false;
  private connectedAtMs = 0;
  private stopping = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** Number of the current connection attempt. */
  epoch = 0;

  private readonly opts: ConnectionKeeperOptions;
  private readonly events: ConnectionEvents;

  constructor(opts: ConnectionKeeperOptions, events: ConnectionEvents) {
    this.opts = opts;
    this.events = events;
    this.backoff = new Backoff(opts.connection.reconnect);
    this.clock = opts.clock ?? Date.now;
  }

  start(): void {
    this.connect();
  }

  get connected(): boolean {
    return this.isConnected;
  }

  /** The client while connected, else undefined: nothing is handed to mqtt.js while offline. */
  get current(): MqttClient | undefined {
    return this.isConnected ? this.client : undefined;
  }

  /** Whether a callback of connection `epoch` still concerns the current connection. */
  isCurrent(epoch: number): boolean {
    return epoch === this.epoch;
  }

  private connect(): void {
    if (this.stopping) return;
    const epoch = ++this.epoch;
    const client = mqtt.connect(this.opts.connection.url, {
      ...clientOptions(this.opts.connection),
      ...this.events.options?.(epoch),
    });
    this.client = client;
    client.on('connect', (connack) => {
      if (epoch !== this.epoch) return;
      this.isConnected = true;
      this.connectedAtMs = this.clock();
      this.events.connected(client, connack, epoch);
    });
    client.on('message', (topic, payload, packet) => {
      if (epoch === this.epoch) this.events.message?.(topic, payload, packet);
    });
    client.on('error', (err) => {
      if (epoch !== this.epoch) return;
      this.opts.log.warn({ err: err.message }, 'broker connection error');
      this.events.error?.(err);
    });
    client.on('close', () => {
      if (epoch === this.epoch) this.drop('connection closed');
    });
  }

  /** Abandons the current client (whatever it had in flight is not acknowledged) and schedules a new one. */
  drop(reason: string): void {
    const client = this.client;
    const wasConnected = this.isConnected;
    this.epoch++;
    this.isConnected = false;
    this.client = undefined;
    if (client) {
      client.on('error', () => {});
      client.end(true);
    }
    this.events.dropped?.();
    if (this.stopping) return;
    // A connection that held for a while resets the backoff; one dropped right after CONNACK (an ACL or
    // quota refusal) keeps backing off instead of hammering the broker.
    if (wasConnected && this.clock() - this.connectedAtMs >= STABLE_MS) this.backoff.reset();
    const delay = this.backoff.next();
    if (wasConnected) this.opts.log.warn({ reason, retryInMs: delay }, this.opts.lostMessage);
    else this.opts.log.debug({ reason, retryInMs: delay }, 'broker not reachable');
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  /**
   * Stops for good: `goodbye` runs on a live connection before the clean DISCONNECT (each step at most 2 s),
   * then the client is closed.
   */
  async stop(goodbye?: (client: MqttClient) => Promise<unknown>): Promise<void> {
    this.stopping = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    if (client && this.isConnected) {
      if (goodbye) await withTimeout(goodbye(client), 2000).catch(() => undefined);
      await withTimeout(client.endAsync(), 2000).catch(() => undefined);
    }
    this.epoch++;
    this.isConnected = false;
    this.client = undefined;
    client?.end(true);
  }
}
