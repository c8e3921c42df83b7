// Broker connection settings shared by the publisher and the consumer, built from the configuration.
// Secrets (password, key) are read from files here and kept out of anything that gets logged.
import fs from 'node:fs';
import os from 'node:os';
import type { IClientOptions } from 'mqtt';
import { dataPath } from '../../config/load.ts';
import type { GatewayConfig } from '../../config/types.ts';

export interface BrokerConnection {
  url: string;
  clientId: string;
  keepaliveSeconds: number;
  connectTimeoutMs: number;
  reconnect: { minMs: number; maxMs: number };
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized?: boolean;
  username?: string;
  password?: string;
}

/** The mqtt.js options every connection uses: MQTT 5, and no automatic reconnect (we schedule our own). */
export function clientOptions(c: BrokerConnection): IClientOptions {
  const o: IClientOptions = {
    clientId: c.clientId,
    protocolVersion: 5,
    keepalive: c.keepaliveSeconds,
    connectTimeout: c.connectTimeoutMs,
    reconnectPeriod: 0,
    resubscribe: false,
    queueQoSZero: false,
  };
  if (c.ca) o.ca = c.ca;
  if (c.cert) o.cert = c.cert;
  if (c.key) o.key = c.key;
  if (c.rejectUnauthorized !== undefined) o.rejectUnauthorized = c.rejectUnauthorized;
  if (c.username) o.username = c.username;
  if (c.password) o.password = c.password;
  return o;
}

/** The URL with any user:password part removed, for logs. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '(invalid url)';
  }
}

function readOptional(config: GatewayConfig, file: string | null): Buffer | undefined {
  return file ? fs.readFileSync(dataPath(config, file)) : undefined;
}

export function brokerConnection(config: GatewayConfig, role: 'publisher' | 'consumer'): BrokerConnection {
  const m = config.mqtt;
  const password = m.passwordFile
    ? fs.readFileSync(dataPath(config, m.passwordFile), 'utf8').split(/\r?\n/)[0]
    : (m.password ?? undefined);
  const clientId =
    role === 'publisher'
      ? m.clientId || `hddt-${config.gatewayId}`
      : m.consumer.clientId || `hddt-recorder-${os.hostname()}`;
  return {
    url: m.url,
    clientId,
    keepaliveSeconds: m.keepaliveSeconds,
    connectTimeoutMs: m.connectTimeoutMs,
    reconnect: m.reconnect,
    ca: readOptional(config, m.tls.caFile),
    cert: readOptional(config, m.tls.certFile),
    key: readOptional(config, m.tls.keyFile),
    rejectUnauthorized: m.tls.rejectUnauthorized,
    username: m.username ?? undefined,
    password,
  };
}
