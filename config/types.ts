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

// Sections owned by the drivers, servers and sync; each widens its own type as it grows.
export interface GatewayConfig extends CoreConfig {
  ble: SectionToggle & Record<string, unknown>;
  serial: SectionToggle & Record<string, unknown>;
  server: SectionToggle & Record<string, unknown>;
  mqtt: SectionToggle & Record<string, unknown>;
}
