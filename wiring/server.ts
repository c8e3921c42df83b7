// The HTTPS server as a gateway component (started by `hddt-gateway run` when server.enabled).
import type { Component } from './component.ts';
import { createServices, startServer } from '../server/start.ts';

export const serverComponent: Component = {
  name: 'server',
  async start(ctx) {
    const services = await createServices(ctx.config, { store: ctx.store, logger: ctx.log });
    const running = await startServer(services);
    ctx.log.info({ url: ctx.config.server.issuer }, 'HTTPS server listening');
    return () => running.close();
  },
};
