// Public service endpoints, outside every API's access control: the status feed and the service
// documentation (no client certificate, no token; nothing here is about a patient).
import type { FastifyInstance } from 'fastify';
import { fhirSettings } from '../shared/fhir-settings.ts';
import { NO_INPUT } from '../shared/route-schema.ts';
import { serviceDocsPage } from './docs-page.ts';
import { statusFeed, type FeedUrls } from './status-feed.ts';

export function feedUrls(app: FastifyInstance): FeedUrls {
  const { config } = app.services;
  return { base: config.server.issuer, fhirBase: fhirSettings(config).base };
}

export async function serviceRoutes(app: FastifyInstance): Promise<void> {
  // the URLs are read per request: the issuer is configuration that may follow the port chosen at listen
  const { maintenance, clock } = app.services;
  app.get('/service/status', { schema: NO_INPUT }, async (_req, reply) => {
    const feed = statusFeed(maintenance.windows(), clock.now().getTime(), feedUrls(app));
    return reply.header('cache-control', 'no-cache').type('application/json; charset=utf-8').send(feed);
  });
  app.get('/service/docs', { schema: NO_INPUT }, async (_req, reply) =>
    reply
      .header('cache-control', 'max-age=300')
      .type('text/html; charset=utf-8')
      .send(serviceDocsPage(feedUrls(app))),
  );
}
