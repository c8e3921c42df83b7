// Which parts run, decided by the configuration. The one list to extend when a part is added.
import type { GatewayConfig } from '../config/types.ts';
import { bleComponent } from '../drivers/ble/component.ts';
import { serverComponent } from '../server/component.ts';
import { retentionJob, timeKeeper, type Component } from './app.ts';

export function components(config: GatewayConfig): Component[] {
  const list: Component[] = [timeKeeper, retentionJob];
  if (config.ble.enabled) list.push(bleComponent);
  if (config.server.enabled) list.push(serverComponent);
  return list;
}
