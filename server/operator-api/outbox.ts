// GET /outbox: the MQTT outbox backlog (depth, unsent, age of the oldest entry, last sequence).
import type { FastifyInstance } from 'fastify';
import { outboxStats } from '../../gateway/store/outbox.ts';
import type { OperatorApiContext } from './context.ts';
import { iso, outbox } from './schemas.ts';

export async function outboxRoutes(
  app: FastifyInstance,
  { services, guard }: OperatorApiContext,
): Promise<void> {
  app.get(
    '/outbox',
    { preHandler: guard('operator/outbox.read'), schema: { response: { 200: outbox } } },
    async () => {
      const s = outboxStats(services.store);
      const nowMs = services.clock.now().getTime();
      return {
        depth: s.entries,
        unsent: s.unsent,
        oldestCreatedAt: iso(s.oldestCreatedMs),
        oldestAgeSeconds:
          s.oldestCreatedMs === null ? null : Math.max(0, Math.round((nowMs - s.oldestCreatedMs) / 1000)),
        lastSeq: s.lastSeq,
      };
    },
  );
}
