// Which parts run, decided by the configuration. The one list to extend when a part is added.
import type { GatewayConfig } from '../config/types.ts';
import { createBleComponent } from '../drivers/ble/component.ts';
import { createSerialComponent } from '../drivers/serial/component.ts';
import { serverComponent } from '../server/component.ts';
import { operatorComponent } from '../server/operator/component.ts';
import { operatorProbes } from '../server/operator/probes.ts';
import { retentionJob, timeKeeper, type Component } from './app.ts';
import { createSyncComponent } from './sync/component.ts';

export function components(config: GatewayConfig): Component[] {
  const list: Component[] = [timeKeeper, retentionJob];
  if (config.mqtt.enabled) list.unshift(createSyncComponent(operatorProbes.setPublisher));
  if (config.ble.enabled) list.push(createBleComponent(operatorProbes.setBle));
  if (config.serial.enabled) list.push(createSerialComponent());
  if (config.server.enabled) list.push(serverComponent);
  if (config.operator.enabled) list.push(operatorComponent);
  return list;
}
