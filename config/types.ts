// The shape of a validated configuration. Each section's schema lives in config/schema/<section>.json.
export interface CoreConfig {
  gatewayId: string;
  dataDir: string;
  timezone: string;
  log: { level: string };
  store: { kind: 'sqlite' | 'postgres'; file: string; url: string | null };
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
  /** Operator API for system clients (server/operator-api); absent = defaults, no clients. */
  operatorApi?: Partial<OperatorApiConfig>;
}

/** A system client of the operator API (client_credentials over mTLS; registered here, not in the DiGA directory). */
export interface SystemClientConfig {
  clientId: string;
  name?: string;
  /** PEM file relative to dataDir; every certificate in it is accepted (renewal overlap). */
  certificateFile: string;
  scopes: string[];
}

export interface OperatorApiConfig {
  prefix: string;
  accessTokenSeconds: number;
  clients: SystemClientConfig[];
}

// Sections owned by the drivers, servers and sync; each widens its own type as it grows.
export interface GatewayConfig extends CoreConfig {
  ble: BleConfig;
  serial: SerialConfig;
  usb: UsbConfig;
  server: ServerConfig;
  mqtt: MqttConfig;
  operator: OperatorConfig;
}

/** The operator server (server/operator): status page, /metrics, /healthz, /readyz; see docs/operator.md. */
export interface OperatorConfig extends SectionToggle {
  host: string;
  port: number;
  /** Required when host is not loopback. passwordHash = `scrypt:<salt hex>:<key hex>`. */
  login: { username: string; passwordHash: string } | null;
  /** PEM files relative to dataDir; null = plain HTTP. */
  tls: { certFile: string; keyFile: string } | null;
  sessionIdleMinutes: number;
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
  tls: {
    caFile: string | null;
    certFile: string | null;
    keyFile: string | null;
    rejectUnauthorized: boolean;
  };
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

/** The BLE central (drivers/ble); see docs/ble.md. */
export interface BleConfig extends SectionToggle {
  /** hci: a kernel adapter (hciDeviceId); uart: an H4 controller on a serial port; dbus: BlueZ over D-Bus. */
  driver: 'hci' | 'uart' | 'dbus';
  hciDeviceId: number;
  /** hci only: the exclusive HCI user channel (adapter must be down). */
  userChannel: boolean;
  uartPort: string | null;
  uartBaudRate: number;
  /** BT 5 extended scanning: null = detect from the controller's features. */
  extended: boolean | null;
  /** Addresses to connect to (any case), besides paired ones; see unknownDevices. */
  allowList: string[];
  /** Service UUIDs to look for: 181f CGMS, 1808 Glucose. */
  services: Array<'181f' | '1808'>;
  backoff: { minMs: number; maxMs: number };
  connectTimeoutMs: number;
  /** Per GATT read/write/discovery/subscribe. */
  gattTimeoutMs: number;
  /** RACP inactivity: no record and no response for this long aborts the procedure. */
  racpTimeoutMs: number;
  /** Readings per ingest() call during a backfill. */
  batchSize: number;
  /** Longest a received reading waits before it is ingested. */
  flushMs: number;
  /** Glucose meters: disconnect after a sync and connect again after this long (0 = stay connected). */
  meterResyncMs: number;
  annunciationOrder: 'status-first' | 'warning-first';
  /** CGM: write Session Start Time when the sensor reports an unknown date. */
  writeSessionStartTime: 'if-unknown' | 'never';
  /** list: devices neither in allowList nor paired are listed for the operator, never connected. */
  unknownDevices: 'list' | 'connect';
  /** Devices added with `hddt-gateway pair add` (resolved against dataDir). */
  pairedFile: string;
  /** Each meter's record-store fingerprint, for sequence reset detection (resolved against dataDir). */
  meterStateFile: string;
  /** if-off: set a meter's clock that is off by more than meterClockToleranceSeconds (always logged). */
  setMeterClock: 'never' | 'if-off';
  meterClockToleranceSeconds: number;
  /** check: no CGM session start time is written while the hub clock is not synchronized. */
  hubClock: 'check' | 'trusted';
}

/** USB meters (docs/usb-meters.md): each meter that appears is dumped once. */
export interface UsbConfig {
  enabled: boolean;
  protocols: Array<'contour-usb' | 'freestyle-hid' | 'verio-scsi'>;
  pollMs: number;
  /** Zone of the meter clocks; null = the top-level timezone. */
  timezone: string | null;
}

export interface SerialConfig {
  enabled: boolean;
  /** Meter lines: a fixed path, or USB VID (and PID) of the adapter. */
  meters: Array<{
    protocol: 'onetouch-ultra2' | 'onetouch-ultraeasy' | 'astm';
    path?: string;
    vendorId?: string;
    productId?: string;
  }>;
  /** Also match the known LifeScan cables by VID/PID. */
  knownCables: boolean;
  pollMs: number;
  /** Zone of the meter clocks; null = the top-level timezone. */
  timezone: string | null;
}
