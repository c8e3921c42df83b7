// The BLE central as a gateway Component (registered in gateway/components.ts when ble.enabled).
import type { Component } from './component.ts';
import { BleCentral } from '../drivers/ble/central.ts';
import { NobleRadio } from '../drivers/ble/noble-transport.ts';
import { MeterMemory } from '../drivers/ble/meter-memory.ts';
import { PairedDevices } from '../drivers/ble/paired-devices.ts';

/** `onRunning` hands the central to whoever exports its metrics/status (called with null on stop). */
export function createBleComponent(onRunning?: (central: BleCentral | null) => void): Component {
  return {
    name: 'ble',
    async start(ctx) {
      const config = ctx.config.ble;
      const log = ctx.log.child({ component: 'ble' });
      const radio = NobleRadio.create(config, log);
      const central = new BleCentral(radio, {
        port: ctx.port,
        log,
        config,
        timeZone: ctx.config.timezone,
        cgmLimits: ctx.config.hddt.cgmDefaultLimits,
        paired: new PairedDevices(config.pairedFile),
        meterMemory: new MeterMemory(config.meterStateFile),
      });
      try {
        await central.start(config.connectTimeoutMs);
      } catch (err) {
        await central.stop();
        throw new Error(`BLE adapter (${config.driver}) did not power on: ${(err as Error).message}`, {
          cause: err,
        });
      }
      onRunning?.(central);
      return async () => {
        onRunning?.(null);
        await central.stop();
      };
    },
  };
}

export const bleComponent: Component = createBleComponent();
