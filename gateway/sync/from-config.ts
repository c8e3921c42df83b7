// Publisher and consumer options from the validated configuration: file paths resolved against dataDir,
// TLS material and the password read from their files.
import fs from 'node:fs';
import os from 'node:os';
import type { Logger } from 'pino';
import { dataPath } from '../../config/load.ts';
import type { GatewayConfig } from '../../config/types.ts';
import type { BrokerConnection } from './connection.ts';
import type { ConsumerOptions } from './consumer.ts';
import type { PublisherOptions } from './publisher.ts';

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

export function publisherOptionsFromConfig(config: GatewayConfig, log?: Logger): PublisherOptions {
  const m = config.mqtt;
  return {
    gatewayId: config.gatewayId,
    connection: brokerConnection(config, 'publisher'),
    topicPrefix: m.topicPrefix,
    qos: m.qos,
    format: m.format,
    batchSize: m.batchSize,
    maxBatchBytes: m.maxBatchBytes,
    maxInflight: m.maxInflight,
    maxMessagesPerSecond: m.maxMessagesPerSecond,
    outbox: m.outbox,
    ack: m.ack,
    log,
  };
}

export function consumerOptionsFromConfig(config: GatewayConfig, log?: Logger): ConsumerOptions {
  const c = config.mqtt.consumer;
  return {
    connection: brokerConnection(config, 'consumer'),
    topicPrefix: config.mqtt.topicPrefix,
    group: c.group,
    sessionExpirySeconds: c.sessionExpirySeconds,
    ackIntervalMs: c.ackIntervalMs,
    heartbeatMs: c.heartbeatMs,
    log,
  };
}
