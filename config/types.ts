// The shape of a validated configuration. Each section's schema lives in config/schema/<section>.json.
export interface CoreConfig {
  gatewayId: string;
  dataDir: string;
  timezone: string;
  log: { level: string };
  store: { file: string };
  hddt: {
    chunkMinutes: number;
    delayFromRealTimeSeconds: number;
    historicDataPeriodDays: { bloodGlucose: number; cgm: number };
    cgmDefaultLimits: { lower: number; upper: number };
  };
}

export interface SectionToggle {
  enabled: boolean;
}

export type MivName = 'bloodGlucose' | 'cgm';

/** The HTTPS server: OAuth2 authorization server (HDDT pairing), patient pages and the FHIR API. */
export interface ServerConfig extends SectionToggle {
  host: string;
  port: number;
  tls: { certFile: string; keyFile: string };
  /** Public base URL = OAuth issuer (no trailing slash). */
  issuer: string;
  serviceDocumentation: string | null;
  mivs: MivName[];
  oauth: {
    accessTokenSeconds: number;
    refreshTokenDays: number;
    authorizationCodeSeconds: number;
    parSeconds: number;
    consentDays: number;
    signingKeyRotationDays: number;
  };
  directory: { source: string; caFile: string | null; cacheSeconds: number; timeoutMs: number };
  login: {
    maxFailures: number;
    lockoutSeconds: number;
    maxLockoutSeconds: number;
    sessionIdleMinutes: number;
    sessionMaxHours: number;
  };
  privacyAuditRetentionDays: number;
  rateLimit: { max: number; windowMs: number };
}

// Sections owned by the drivers, servers and sync; each widens its own type as it grows.
export interface GatewayConfig extends CoreConfig {
  ble: SectionToggle & Record<string, unknown>;
  serial: SectionToggle & Record<string, unknown>;
  server: ServerConfig;
  mqtt: MqttConfig;
}

/** MQTT upward sync (hub) and the recorder-side consumer; see docs/mqtt.md. */
export interface MqttConfig extends SectionToggle {
  url: string;
  clientId: string;
  topicPrefix: string;
  qos: 1 | 2;
  format: 'cbor' | 'json';
  batchSize: number;
  maxBatchBytes: number;
  maxInflight: number;
  maxMessagesPerSecond: number;
  keepaliveSeconds: number;
  connectTimeoutMs: number;
  reconnect: { minMs: number; maxMs: number };
  tls: { caFile: string | null; certFile: string | null; keyFile: string | null; rejectUnauthorized: boolean };
  username: string | null;
  password: string | null;
  passwordFile: string | null;
  outbox: { maxEntries: number; maxAgeHours: number; onExceed: 'keep-and-alarm' | 'drop-oldest' };
  ack: { enabled: boolean; resendAfterMs: number };
  consumer: {
    group: string;
    clientId: string;
    storeFile: string;
    sessionExpirySeconds: number;
    ackIntervalMs: number;
    heartbeatMs: number;
  };
}
