// Which parts run, decided by the configuration. The one list to extend when a part is added.
// A part's module is imported only when the part starts, so `run` loads the code of the enabled parts only
// (the BLE stack, serialport, fastify and mqtt.js each cost start-up time on a Pi).
import type { GatewayConfig } from '../config/types.ts';
import { operatorProbes } from '../server/operator/probes.ts';
import { retentionJob, timeKeeper } from './jobs.ts';
import { type Component } from './component.ts';

interface Part {
  enabled(config: GatewayConfig): boolean;
  load(): Promise<Component>;
}

/** The optional parts by name; each name is the loaded component's name (test/gateway/components.test.ts). */
export const parts = {
  'mqtt-sync': {
    enabled: (c) => c.mqtt.enabled,
    load: async () => (await import('./sync.ts')).createSyncComponent(operatorProbes.setPublisher),
  },
  ble: {
    enabled: (c) => c.ble.enabled,
    load: async () => (await import('./ble.ts')).createBleComponent(operatorProbes.setBle),
  },
  serial: {
    enabled: (c) => c.serial.enabled,
    load: async () => (await import('./serial.ts')).createSerialComponent(),
  },
  usb: {
    enabled: (c) => c.usb.enabled,
    load: async () => (await import('./usb.ts')).createUsbComponent(),
  },
  server: {
    enabled: (c) => c.server.enabled,
    load: async () => (await import('./server.ts')).serverComponent,
  },
  'consent-expiry': {
    enabled: (c) => c.server.enabled,
    load: async () => (await import('./consent-expiry.ts')).consentExpiryJob(),
  },
  operator: {
    enabled: (c) => c.operator.enabled,
    load: async () => (await import('./operator.ts')).operatorComponent,
  },
} satisfies Record<string, Part>;

export function components(config: GatewayConfig): Component[] {
  const part = (name: keyof typeof parts): Component[] => {
    const { enabled, load } = parts[name];
    return enabled(config) ? [{ name, start: async (ctx) => (await load()).start(ctx) }] : [];
  };
  // the sync part first: it is connecting while the rest starts
  return [
    ...part('mqtt-sync'),
    timeKeeper,
    retentionJob,
    ...part('ble'),
    ...part('serial'),
    ...part('usb'),
    ...part('server'),
    ...part('consent-expiry'),
    ...part('operator'),
  ];
}
