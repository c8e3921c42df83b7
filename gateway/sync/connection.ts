// Broker connection settings shared by the publisher and the consumer (built from the configuration in
// from-config.ts). Secrets stay in here and out of anything that gets logged (see safeUrl).
import type { IClientOptions } from 'mqtt';

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
