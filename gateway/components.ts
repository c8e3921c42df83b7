// Which parts run, decided by the configuration. The one list to extend when a part is added.
import type { GatewayConfig } from '../config/types.ts';
import { timeKeeper, type Component } from './app.ts';

export function components(_config: GatewayConfig): Component[] {
  const list: Component[] = [timeKeeper];
  return list;
}
