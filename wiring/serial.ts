// Serial meters as a gateway part: watches the configured lines (and known cables), dumps each meter once
// when it appears, and logs each dump's summary. A failed dump keeps what was complete.
import type { Component } from './component.ts';
import { logDump } from './dump-log.ts';
import { MeterWatcher } from '../drivers/serial/meter-watcher.ts';
import { KNOWN_CABLES, type ListPorts, type MeterPortRule } from '../drivers/serial/port-discovery.ts';

export function createSerialComponent(opts: { list?: ListPorts } = {}): Component {
  return {
    name: 'serial',
    async start(ctx) {
      const cfg = ctx.config.serial;
      const rules: MeterPortRule[] = [
        ...cfg.meters,
        ...(cfg.knownCables ? KNOWN_CABLES.map(({ cable: _c, ...rule }) => rule) : []),
      ];
      const log = ctx.log.child({ component: 'serial' });
      const watcher = new MeterWatcher({
        rules,
        port: ctx.port,
        timeZone: cfg.timezone ?? ctx.config.timezone,
        intervalMs: cfg.pollMs,
        list: opts.list,
        onDump: (port, r) => logDump(log, { port: port.path }, r, 'meter'),
        onError: (port, err) => log.warn({ port: port.path, error: err.message }, 'meter could not be read'),
      });
      watcher.start();
      return () => watcher.stop();
    },
  };
}
